package client

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
)

const (
	// serverRetryInterval is how long a server that did not answer is
	// left alone: the next server is tried at once, the same one not
	// sooner than this.
	serverRetryInterval = 100 * time.Millisecond
	// heartbeatRetryMin is the wait after the first heartbeat no server
	// answered; it doubles with each such round, up to the cap (see
	// heartbeatPacer).
	heartbeatRetryMin = 200 * time.Millisecond
)

// clock is the time the server list and the heartbeat loop go by; tests
// use a fake one.
type clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sleepOn waits d on c; false when ctx ended first.
func sleepOn(ctx context.Context, c clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-c.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// heartbeatPacer says when the next heartbeat is due. After a heartbeat
// a server answered: at half the TTL. After rounds in which no server
// answered (a leader election, servers down): a capped exponential
// backoff with jitter, from heartbeatRetryMin, capped at half the TTL (a
// node that cannot reach the servers never heartbeats more often than a
// healthy one, so thousands of them do not storm the survivors) and at
// max (the client's RetryMax).
type heartbeatPacer struct {
	ttl      time.Duration
	max      time.Duration
	failures int
}

// answered records a heartbeat a server answered, granting ttl.
func (p *heartbeatPacer) answered(ttl time.Duration) {
	p.ttl, p.failures = ttl, 0
}

// unanswered records a round in which no server answered.
func (p *heartbeatPacer) unanswered() { p.failures++ }

// next is the wait before the next heartbeat.
func (p *heartbeatPacer) next() time.Duration {
	if p.failures == 0 {
		return max(p.ttl/2, minHeartbeatWait)
	}
	ceiling := max(p.ttl/2, heartbeatRetryMin)
	if p.max > 0 {
		ceiling = min(ceiling, max(p.max, heartbeatRetryMin))
	}
	return backoff.Jitter(backoff.Exp(heartbeatRetryMin, ceiling, p.failures))
}
