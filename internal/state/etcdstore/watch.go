package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/structs"
)

// loadPageSize is how many keys one page of the initial range read holds;
// all pages read the same revision.
const loadPageSize = 5000

// errWatchClosed reports a watch channel that closed without an error.
var errWatchClosed = errors.New("watch channel closed")

// load replaces the index with everything under the prefix at one
// revision, read in pages, and returns that revision. Each table's index
// becomes the highest ModRevision of its keys and its delete marker: the
// revision of its last change, as on every server that watched it.
func (s *Store) load(ctx context.Context) (int64, error) {
	var changes []change
	rev, err := s.rangeAll(ctx, func(kvs []*mvccpb.KeyValue) {
		changes = append(changes, s.decodeChanges(kvs, nil)...)
	})
	if err != nil {
		return 0, err
	}
	t := s.idx.Txn()
	t.Clear()
	s.applyChanges(t, changes)
	if err := t.Commit(uint64(rev)); err != nil {
		return 0, fmt.Errorf("etcdstore: load: %w", err)
	}
	return rev, nil
}

// rangeAll calls fn with every page of keys under the prefix, all read
// at one revision.
func (s *Store) rangeAll(ctx context.Context, fn func([]*mvccpb.KeyValue)) (int64, error) {
	key, end := s.cfg.Prefix, clientv3.GetPrefixRangeEnd(s.cfg.Prefix)
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(loadPageSize)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		start := time.Now()
		resp, err := s.cli.Get(ctx, key, opts...)
		metrics.EtcdGet(time.Since(start), err)
		if err != nil {
			return 0, fmt.Errorf("etcdstore: range %s: %w", s.cfg.Prefix, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		fn(resp.Kvs)
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// run keeps the index current from revision rev+1 until ctx ends:
// reconnects after errors and reloads after a compaction.
func (s *Store) run(ctx context.Context, rev int64) {
	defer close(s.done)
	retry := backoff.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second, NoJitter: true}
	for ctx.Err() == nil {
		next, err := s.watch(ctx, rev)
		if next > rev {
			rev = next
			retry.Reset()
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, rpctypes.ErrCompacted) {
			s.log.Warn("etcdstore: watch compacted, reloading", "rev", rev)
			if r, lerr := s.load(ctx); lerr == nil {
				rev = r
				continue
			} else {
				err = lerr
			}
		}
		s.log.Warn("etcdstore: watch failed, retrying", "rev", rev, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry.Next()):
		}
	}
}

// watch applies watch responses from rev+1 until the watch ends, and
// returns the last revision applied.
func (s *Store) watch(ctx context.Context, rev int64) (int64, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	s.setWatchCtx(wctx)
	defer s.setWatchCtx(nil)
	wch := s.cli.Watch(wctx, s.cfg.Prefix, clientv3.WithPrefix(),
		clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	for wresp := range wch {
		if err := wresp.Err(); err != nil {
			return rev, err
		}
		switch {
		case wresp.IsProgressNotify():
			rev = s.progress(rev, wresp.Header.Revision)
		case len(wresp.Events) > 0:
			rev = s.applyEvents(wresp.Events, rev)
		}
	}
	return rev, errWatchClosed
}

func (s *Store) setWatchCtx(ctx context.Context) {
	s.watchMu.Lock()
	s.watchCtx = ctx
	s.watchMu.Unlock()
}

// requestProgress asks etcd to tell the watch the current revision, which
// lets a writer waiting for a revision without events under the prefix
// (e.g. a failed compare) go on.
func (s *Store) requestProgress() {
	s.watchMu.Lock()
	ctx := s.watchCtx
	s.watchMu.Unlock()
	if ctx != nil {
		_ = s.cli.RequestProgress(ctx)
	}
}

// progress raises the store index to a progress notification's revision:
// every event up to it has been delivered.
func (s *Store) progress(rev, notified int64) int64 {
	if notified <= rev {
		return rev
	}
	if err := s.idx.Txn().Commit(uint64(notified)); err != nil {
		s.log.Error("etcdstore: progress", "err", err)
		return rev
	}
	return notified
}

// applyEvents applies one watch response in one index transaction.
func (s *Store) applyEvents(events []*clientv3.Event, rev int64) int64 {
	kvs := make([]*mvccpb.KeyValue, len(events))
	del := make([]bool, len(events))
	for i, ev := range events {
		kvs[i], del[i] = ev.Kv, ev.Type == clientv3.EventTypeDelete
		rev = max(rev, ev.Kv.ModRevision)
	}
	changes := s.decodeChanges(kvs, del)
	t := s.idx.Txn()
	s.applyChanges(t, changes)
	if err := t.Commit(uint64(rev)); err != nil {
		s.log.Error("etcdstore: apply watch events", "rev", rev, "err", err)
	}
	return rev
}

// applyPut puts a decoded object into the index.
func applyPut(t *index.Txn, c change) {
	switch o := c.obj.(type) {
	case *structs.Job:
		if c.key.kind == kindJobs {
			t.UpsertJob(o)
		} else {
			t.UpsertJobVersion(o)
		}
	case *structs.Allocation:
		t.UpsertAlloc(o)
	case *structs.Evaluation:
		t.UpsertEval(o)
	case *structs.Node:
		t.UpsertNode(o)
	case *structs.ServiceRegistration:
		t.UpsertServiceRegistration(o)
	case *structs.ACLPolicy:
		t.UpsertACLPolicy(o)
	case *structs.ACLToken:
		t.UpsertACLToken(o)
	default:
		switch c.key.kind {
		case kindUsage:
			t.SetNodeUsage(c.key.segs[0], uint64(c.kv.ModRevision))
		case kindACLBoot:
			// The marker's last write: a bootstrap reset moves it.
			t.SetACLBootstrap(uint64(c.kv.ModRevision))
		case kindDeletes:
			if tb := state.Table(c.key.segs[0]); markerTables[tb] {
				t.Touch(tb)
			}
		}
	}
}

// applyDelete removes the object of a deleted key from the index.
func applyDelete(t *index.Txn, p parsedKey) {
	switch p.kind {
	case kindJobs:
		t.DeleteJob(p.segs[0], p.segs[1])
	case kindVersions:
		if v, err := p.version(); err == nil {
			t.DeleteJobVersion(p.segs[0], p.segs[1], v)
		}
	case kindAllocs:
		t.DeleteAlloc(p.segs[2])
	case kindEvals:
		t.DeleteEval(p.segs[0])
	case kindNodes:
		t.DeleteNode(p.segs[0])
	case kindUsage:
		t.DeleteNodeUsage(p.segs[0])
	case kindServices:
		t.DeleteServiceRegistration(p.segs[0])
	case kindPolicies:
		t.DeleteACLPolicy(p.segs[0])
	case kindTokens:
		t.DeleteACLToken(p.segs[0])
	case kindACLBoot:
		t.DeleteACLBootstrap()
	}
}
