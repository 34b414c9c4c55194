package server

import (
	"context"
	"sync"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// lead does the leader's work until ctx ends: it feeds pending evaluations
// to the broker, runs the scheduling workers and holds node heartbeats.
func (s *Server) lead(ctx context.Context) {
	s.log.Info("leadership acquired")
	b := newBroker()
	hb := newHeartbeats(func(id string) { s.nodeExpired(ctx, id) })
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
	var wg sync.WaitGroup
	wg.Add(1 + s.cfg.Workers)
	go func() { defer wg.Done(); s.feedBroker(ctx, b) }()
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
		index := s.processEval(ctx, e)
		b.ack(e, index)
	}
}
