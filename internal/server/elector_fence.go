package server

import (
	"context"
	"sync/atomic"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/wharf-project/wharf/internal/state"
)

// electionFence is the fence of the leadership el won in sess: writes
// under it commit only while el's key keeps the revision it was created
// at, and are refused at once when this process has seen sess end or
// called the returned lost (its key is gone).
func electionFence(sess *concurrency.Session, el *concurrency.Election) (state.Fence, func()) {
	var gone atomic.Bool
	return state.Fence{Key: el.Key(), Rev: el.Rev(), Held: func() bool {
		if gone.Load() {
			return false
		}
		select {
		case <-sess.Done():
			return false
		default:
			return true
		}
	}}, func() { gone.Store(true) }
}

// localFence is the fence of a LocalElector's leadership, which holds
// until ctx ends.
func localFence(ctx context.Context) state.Fence {
	return state.Fence{Held: func() bool { return ctx.Err() == nil }}
}
