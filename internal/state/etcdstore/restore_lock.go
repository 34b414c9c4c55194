package etcdstore

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// WaitRestore blocks until a restore runs (running) or none does
// (!running), or ctx ends; it returns ctx.Err() then. Failed reads and
// watches are retried.
func (s *Store) WaitRestore(ctx context.Context, running bool) error {
	for ctx.Err() == nil {
		if s.waitRestoreOnce(ctx, running) {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	return ctx.Err()
}

// waitRestoreOnce reads the lock and watches it until it is as wanted
// (true) or the read or watch fails (false).
func (s *Store) waitRestoreOnce(ctx context.Context, running bool) bool {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	resp, err := s.cli.Get(rctx, RestoreLockKey(s.cfg.Prefix))
	cancel()
	if err != nil {
		return false
	}
	if (len(resp.Kvs) > 0) == running {
		return true
	}
	wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer wcancel()
	for wresp := range s.cli.Watch(wctx, RestoreLockKey(s.cfg.Prefix), clientv3.WithRev(resp.Header.Revision+1)) {
		if wresp.Err() != nil {
			return false
		}
		for _, ev := range wresp.Events {
			if (ev.Type == clientv3.EventTypePut) == running {
				return true
			}
		}
	}
	return false
}
