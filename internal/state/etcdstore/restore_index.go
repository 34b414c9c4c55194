package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state"
)

// A restore must not move indexes backwards. Clients hold the indexes
// (etcd revisions) of the cluster the snapshot was taken from, and a
// blocking query with such an index waits until the store passes it: on a
// fresh cluster, whose revision starts low, it would miss every change
// until then. So before writing the snapshot's keys, a restore raises
// the cluster's revision past the snapshot's index (bumpRevision), and
// once the keys are written it puts every table's delete marker
// (putMarkers): a server that loads the state after the restore takes
// each table's index from the marker, as a server that watched the
// restore's deletions does.

// bumpWorkers is how many writes bumpRevision keeps in flight.
const bumpWorkers = 64

// bumpKey is the key bumpRevision writes: outside the prefix, so neither
// the stores' watches nor snapshots see it.
func bumpKey(prefix string) string { return RestoreLockKey(prefix) + "-bump" }

// bumpRevision writes to bumpKey until etcd's revision is at least rev,
// then deletes it. etcd moves its revision by one per write, so this
// takes rev minus the current revision writes: nothing on a cluster the
// snapshot was taken from, a few seconds per 10,000 revisions on a fresh
// one. It returns the number of writes.
func (s *Store) bumpRevision(ctx context.Context, rev int64) (int, error) {
	resp, err := s.cli.Get(ctx, bumpKey(s.cfg.Prefix))
	if err != nil {
		return 0, fmt.Errorf("read the revision: %w", err)
	}
	if resp.Header.Revision >= rev {
		return 0, nil
	}
	s.log.Info("etcdstore: restore: raising the revision to the snapshot's index", "from", resp.Header.Revision, "to", rev)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		cur   = resp.Header.Revision
		n     int
		first error
		wg    sync.WaitGroup
	)
	for range bumpWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := cur >= rev || first != nil
				mu.Unlock()
				if done {
					return
				}
				s.writes.Add(1)
				r, err := s.cli.Put(ctx, bumpKey(s.cfg.Prefix), "")
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				if err == nil {
					n++
					cur = max(cur, r.Header.Revision)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return n, fmt.Errorf("raise the revision to %d: %w", rev, first)
	}
	if _, err := s.cli.Delete(ctx, bumpKey(s.cfg.Prefix)); err != nil {
		return n, fmt.Errorf("raise the revision: %w", err)
	}
	return n, nil
}

// putMarkers puts every table's delete marker in one transaction and
// returns its revision: the restore changed every table, deletions
// included.
func (s *Store) putMarkers(ctx context.Context) (int64, error) {
	var tables []state.Table
	for t := range markerTables {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	ops := make([]clientv3.Op, 0, len(tables))
	for _, t := range tables {
		ops = append(ops, clientv3.OpPut(s.keys.deletes(t), ""))
	}
	s.writes.Add(1)
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return 0, fmt.Errorf("put the delete markers: %w", err)
	}
	return resp.Header.Revision, nil
}
