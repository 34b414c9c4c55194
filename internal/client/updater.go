package client

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/structs"
)

// maxUpdateBatch bounds how many allocations one request carries.
const maxUpdateBatch = 200

// updater gathers allocation status changes for an interval and sends
// them in batches: the latest state of each allocation, many allocations
// per request. A batch that fails is retried (unless newer states
// replaced it).
type updater struct {
	log      *slog.Logger
	interval time.Duration
	send     func(context.Context, []*structs.Allocation) error

	mu      sync.Mutex
	pending map[string]*structs.Allocation
	notify  chan struct{}
}

func newUpdater(log *slog.Logger, interval time.Duration, send func(context.Context, []*structs.Allocation) error) *updater {
	return &updater{log: log, interval: interval, send: send,
		pending: map[string]*structs.Allocation{}, notify: make(chan struct{}, 1)}
}

// add queues an allocation's client-side state; a newer one replaces it.
func (u *updater) add(a *structs.Allocation) {
	u.mu.Lock()
	u.pending[a.ID] = a
	u.mu.Unlock()
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// take returns and clears what is pending.
func (u *updater) take() []*structs.Allocation {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]*structs.Allocation, 0, len(u.pending))
	for _, a := range u.pending {
		out = append(out, a)
	}
	clear(u.pending)
	return out
}

// requeue puts back the allocations of a failed batch that no newer state
// replaced meanwhile.
func (u *updater) requeue(batch []*structs.Allocation) {
	u.mu.Lock()
	for _, a := range batch {
		if _, newer := u.pending[a.ID]; !newer {
			u.pending[a.ID] = a
		}
	}
	u.mu.Unlock()
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// run sends batches until ctx ends.
func (u *updater) run(ctx context.Context) {
	retry := backoff.Backoff{Min: 2 * u.interval, Max: 30 * time.Second}
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.notify:
		}
		if !sleep(ctx, u.interval) {
			return
		}
		batch := u.take()
		if len(batch) == 0 {
			continue
		}
		if err := u.send(ctx, batch); err != nil {
			if ctx.Err() != nil {
				u.requeue(batch) // for the final flush
				return
			}
			u.log.Warn("allocation status update failed; will retry", "allocs", len(batch), "err", err)
			u.requeue(batch)
			if !sleep(ctx, retry.Next()) {
				return
			}
			continue
		}
		retry.Reset()
	}
}

// sendUpdates sends allocation states to the servers in requests of at
// most maxUpdateBatch allocations. An answer refusing the request (4xx)
// drops it: sending it again would not help.
func (c *Client) sendUpdates(ctx context.Context, batch []*structs.Allocation) error {
	for len(batch) > 0 {
		n := min(len(batch), maxUpdateBatch)
		err := c.servers.do(ctx, func(ac *api.Client) error { return ac.Allocations().UpdateAllocs(batch[:n]) })
		var ae *api.Error
		if errors.As(err, &ae) && !unreachable(err) {
			c.log.Error("servers refused allocation updates; dropped", "allocs", n, "err", err)
			err = nil
		}
		if err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}
