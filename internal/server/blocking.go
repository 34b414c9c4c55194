package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/state"
)

const (
	// defaultQueryWait is how long a blocking query waits without ?wait.
	defaultQueryWait = 5 * time.Minute
	// maxQueryWait caps ?wait, as Nomad does.
	maxQueryWait = 5 * time.Minute
)

// queryOptions are a read's blocking parameters.
type queryOptions struct {
	minIndex uint64
	wait     time.Duration
}

// parseQueryOptions reads ?index and ?wait. wait accepts a Go duration
// ("5m", "300s") or a bare number of seconds.
func parseQueryOptions(r *http.Request) (queryOptions, error) {
	var qo queryOptions
	q := r.URL.Query()
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return qo, errorf(http.StatusBadRequest, "query parameter \"index\": %q is not an index", v)
		}
		qo.minIndex = n
	}
	qo.wait = defaultQueryWait
	if v := q.Get("wait"); v != "" {
		d, err := httpapi.ParseWait(v, true)
		if err != nil {
			return qo, errorf(http.StatusBadRequest, "query parameter \"wait\": %q is not a duration", v)
		}
		qo.wait = min(d, maxQueryWait)
	}
	// Jitter spreads the wake-ups of many waiters, as Nomad does.
	if qo.wait > 0 {
		qo.wait += backoff.UpTo(qo.wait / 16)
	}
	return qo, nil
}

// readFunc computes a response from a snapshot.
type readFunc func(snap state.Snapshot) (any, error)

// blockingRead answers a read, waiting first when the client asked for an
// index newer than what the tables hold.
func (s *Server) blockingRead(r *http.Request, tables []state.Table, read readFunc) (any, uint64, error) {
	qo, err := parseQueryOptions(r)
	if err != nil {
		return nil, 0, err
	}
	snap := s.store.Snapshot()
	if qo.minIndex > 0 && snap.TableIndex(tables...) <= qo.minIndex {
		ctx, cancel := context.WithTimeout(r.Context(), qo.wait)
		_, _ = s.store.WaitForChange(ctx, qo.minIndex, tables...)
		cancel()
		snap = s.store.Snapshot()
		// The token may have been revoked or its policies changed during
		// the wait: answer only what it may still read.
		if ai := authOf(r); ai.recheck != nil {
			if err := ai.recheck(snap); err != nil {
				return nil, 0, err
			}
		}
	}
	out, err := read(snap)
	return out, snap.TableIndex(tables...), err
}
