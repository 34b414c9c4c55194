package server

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
)

const (
	// writeRetryMin is the first wait before the leader retries a write the
	// store refused for a reason other than a conflict (etcd's NOSPACE
	// alarm, a read-only data dir, no quorum).
	writeRetryMin = 50 * time.Millisecond
	// writeRetryMax caps that wait as it doubles.
	writeRetryMax = 5 * time.Second
)

// writeRetryDelay is the wait before retry n (from 1): it doubles from
// writeRetryMin up to writeRetryMax, and is drawn in its upper half so
// workers refused together do not retry together.
func writeRetryDelay(n int, r *rand.Rand) time.Duration {
	return backoff.JitterFrom(r, backoff.Exp(writeRetryMin, writeRetryMax, n))
}

// waitWriteRetry logs a refused write and waits before retry n; it
// reports false when ctx ended first.
func (s *Server) waitWriteRetry(ctx context.Context, what string, n int, err error, attrs ...any) bool {
	d := writeRetryDelay(n, newRand())
	s.log.Warn("the store refused a write; retrying", append([]any{"write", what, "attempt", n, "retry_in", d, "err", err}, attrs...)...)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
