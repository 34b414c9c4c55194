package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state/index"
)

// loadPageSize is how many keys one page of the initial range read holds;
// all pages read the same revision.
const loadPageSize = 5000

// errWatchClosed reports a watch channel that closed without an error.
var errWatchClosed = errors.New("watch channel closed")

// load replaces the index with everything under the prefix at one
// revision, read in pages, and returns that revision.
func (s *Store) load(ctx context.Context) (int64, error) {
	t := s.idx.Txn()
	t.Clear()
	rev, err := s.rangeAll(ctx, func(kv *mvccpb.KeyValue) { s.applyPut(t, kv) })
	if err != nil {
		t.Abort()
		return 0, err
	}
	if err := t.Commit(uint64(rev)); err != nil {
		return 0, fmt.Errorf("etcdstore: load: %w", err)
	}
	return rev, nil
}

// rangeAll calls fn for every key under the prefix at one revision.
func (s *Store) rangeAll(ctx context.Context, fn func(*mvccpb.KeyValue)) (int64, error) {
	key, end := s.cfg.Prefix, clientv3.GetPrefixRangeEnd(s.cfg.Prefix)
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(loadPageSize)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := s.cli.Get(ctx, key, opts...)
		if err != nil {
			return 0, fmt.Errorf("etcdstore: range %s: %w", s.cfg.Prefix, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			fn(kv)
		}
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
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		next, err := s.watch(ctx, rev)
		if next > rev {
			rev, backoff = next, 50*time.Millisecond
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
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
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
	t := s.idx.Txn()
	for _, ev := range events {
		rev = max(rev, ev.Kv.ModRevision)
		if ev.Type == clientv3.EventTypeDelete {
			s.applyDelete(t, ev.Kv)
		} else {
			s.applyPut(t, ev.Kv)
		}
	}
	if err := t.Commit(uint64(rev)); err != nil {
		s.log.Error("etcdstore: apply watch events", "rev", rev, "err", err)
	}
	return rev
}

// applyPut puts the object of one key into the index.
func (s *Store) applyPut(t *index.Txn, kv *mvccpb.KeyValue) {
	p, err := s.keys.parse(string(kv.Key))
	if err == nil {
		err = putObject(t, p, kv)
	}
	if err != nil {
		s.log.Error("etcdstore: skip key", "key", string(kv.Key), "err", err)
	}
}

func putObject(t *index.Txn, p parsedKey, kv *mvccpb.KeyValue) error {
	switch p.kind {
	case kindJobs, kindVersions:
		j, err := decodeJob(kv)
		if err != nil {
			return err
		}
		if p.kind == kindJobs {
			t.UpsertJob(j)
		} else {
			t.UpsertJobVersion(j)
		}
	case kindAllocs:
		a, err := decodeAlloc(kv)
		if err != nil {
			return err
		}
		t.UpsertAlloc(a)
	case kindEvals:
		e, err := decodeEval(kv)
		if err != nil {
			return err
		}
		t.UpsertEval(e)
	case kindNodes:
		n, err := decodeNode(kv)
		if err != nil {
			return err
		}
		t.UpsertNode(n)
	case kindUsage:
		t.SetNodeUsage(p.segs[0], uint64(kv.ModRevision))
	}
	return nil
}

// applyDelete removes the object of one deleted key from the index.
func (s *Store) applyDelete(t *index.Txn, kv *mvccpb.KeyValue) {
	p, err := s.keys.parse(string(kv.Key))
	if err != nil {
		s.log.Error("etcdstore: skip deleted key", "key", string(kv.Key), "err", err)
		return
	}
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
	}
}
