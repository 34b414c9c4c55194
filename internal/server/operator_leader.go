package server

import (
	"context"
	"time"
)

// restoreWaiter is a store that tells when a snapshot restore runs (the
// etcd store): leaders do no leader work while one writes.
type restoreWaiter interface {
	// WaitRestore blocks until a restore runs (running) or none does.
	WaitRestore(ctx context.Context, running bool) error
}

// leadBetweenRestores is the lead function handed to the elector: it
// does the leader's work (lead) under a context derived from the
// leadership's, stops it when a snapshot restore starts, and starts it
// afresh once the restore ended, so the broker, the heartbeat timers and
// the blocked evaluations are rebuilt from the restored state.
func (s *Server) leadBetweenRestores(ctx context.Context) {
	rw, ok := s.store.(restoreWaiter)
	if !ok {
		s.lead(ctx)
		return
	}
	for ctx.Err() == nil {
		if err := rw.WaitRestore(ctx, false); err != nil {
			return
		}
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			if rw.WaitRestore(lctx, true) == nil {
				s.log.Warn("a snapshot restore started: leader work paused until it ends")
				cancel()
			}
		}()
		s.lead(lctx)
		cancel()
		if ctx.Err() == nil {
			// Let the restore's lock be seen before looking again.
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
