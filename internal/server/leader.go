package server

import (
	"context"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// lead does the leader's work until ctx ends or a write is refused for
// lost leadership: it feeds pending evaluations to the broker, runs the
// scheduling workers and holds node heartbeats. Every write it makes uses
// ctx, which carries the term's fence.
func (s *Server) lead(ctx context.Context) {
	ctx, stop := termContext(ctx)
	defer stop()
	s.log.Info("leadership acquired")
	b := newBroker()
	hb := newHeartbeats(func(id string) {
		_ = s.safely("expiring a node", func() { s.nodeExpired(ctx, id) }, "node", id)
	})
	s.mu.Lock()
	s.leading, s.broker, s.heartbeats = true, b, hb
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.leading, s.broker, s.heartbeats = false, nil, nil
		s.mu.Unlock()
		hb.close()
		b.close()
		s.log.Info("leadership lost")
	}()
	s.armAllHeartbeats(hb)
	s.sweepDownNodeServices(ctx)
	var wg sync.WaitGroup
	wg.Add(2 + s.cfg.Workers)
	go func() { defer wg.Done(); s.feedBroker(ctx, b) }()
	go func() { defer wg.Done(); s.sweepBlocked(ctx) }()
	wg.Go(func() { s.runDrainer(ctx) })
	wg.Go(func() { s.gcLoop(ctx) })
	for i := 0; i < s.cfg.Workers; i++ {
		go func() { defer wg.Done(); s.work(ctx, b) }()
	}
	wg.Wait()
}

// feedBroker enqueues every pending evaluation, now and whenever the
// evaluations change.
func (s *Server) feedBroker(ctx context.Context, b *broker) {
	var index uint64
	for ctx.Err() == nil {
		snap := s.store.Snapshot()
		for _, e := range snap.EvalsByStatus(structs.EvalStatusPending) {
			b.enqueue(e)
		}
		index = snap.TableIndex(state.TableEvals)
		_, _ = s.store.WaitForChange(ctx, index, state.TableEvals)
	}
}

// work processes evaluations until ctx ends.
func (s *Server) work(ctx context.Context, b *broker) {
	for {
		e, err := b.dequeue(ctx)
		if err != nil {
			return
		}
		index := s.processEvalSafely(ctx, e)
		b.ack(e, index)
	}
}

// blockedSweepInterval is how often the leader retries blocked
// evaluations when nodes or allocations changed since the last sweep: a
// safety net under the immediate retries on node and capacity changes.
const blockedSweepInterval = 30 * time.Second

func (s *Server) sweepBlocked(ctx context.Context) {
	var last uint64
	t := time.NewTicker(blockedSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		snap := s.store.Snapshot()
		idx := snap.TableIndex(state.TableNodes, state.TableAllocs)
		if idx == last {
			continue
		}
		last = idx
		if evals := unblockEvals(snap, nil); len(evals) > 0 {
			if _, err := s.store.UpsertEvals(ctx, evals); err != nil && ctx.Err() == nil &&
				!s.leadershipLost(ctx, err, "retry blocked evaluations") {
				s.log.Error("retry blocked evaluations", "err", err)
			}
		}
	}
}
