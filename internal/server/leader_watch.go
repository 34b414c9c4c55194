package server

import (
	"context"
	"sort"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// candidate is one server's key in the election.
type candidate struct {
	key       string
	addr      string
	lease     clientv3.LeaseID
	createRev int64
}

// leaderWatch keeps this server's view of the election in memory, from
// a watch on the election prefix: leader lookups read it instead of
// asking etcd on every request (a member without quorum would never
// answer them). The view is served by the local member alone, so it may
// be stale without quorum: callers combine it with the quorum monitor.
type leaderWatch struct {
	cli *clientv3.Client

	mu      sync.Mutex
	synced  bool
	cands   map[string]candidate
	changed chan struct{} // closed and replaced on every change
}

func newLeaderWatch(cli *clientv3.Client) *leaderWatch {
	return &leaderWatch{cli: cli, cands: map[string]candidate{}, changed: make(chan struct{})}
}

// run keeps the view until ctx ends: it lists the candidates from the
// local member, then follows the changes, listing again after any error.
func (w *leaderWatch) run(ctx context.Context) {
	for ctx.Err() == nil {
		rev, err := w.list(ctx)
		if err == nil {
			err = w.follow(ctx, rev)
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// list reads every candidate from the local member (a serializable read,
// answered without quorum) and returns the revision it read at.
func (w *leaderWatch) list(ctx context.Context) (int64, error) {
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := w.cli.Get(lctx, electionPrefix+"/", clientv3.WithPrefix(), clientv3.WithSerializable())
	if err != nil {
		return 0, err
	}
	cands := make(map[string]candidate, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		cands[string(kv.Key)] = candidate{key: string(kv.Key), addr: string(kv.Value),
			lease: clientv3.LeaseID(kv.Lease), createRev: kv.CreateRevision}
	}
	w.mu.Lock()
	w.cands, w.synced = cands, true
	w.notifyLocked()
	w.mu.Unlock()
	return resp.Header.Revision, nil
}

// follow applies the changes after rev until the watch fails or ctx ends.
func (w *leaderWatch) follow(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for resp := range w.cli.Watch(wctx, electionPrefix+"/", clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if err := resp.Err(); err != nil {
			return err
		}
		w.mu.Lock()
		for _, ev := range resp.Events {
			key := string(ev.Kv.Key)
			if ev.Type == clientv3.EventTypeDelete {
				delete(w.cands, key)
				continue
			}
			w.cands[key] = candidate{key: key, addr: string(ev.Kv.Value),
				lease: clientv3.LeaseID(ev.Kv.Lease), createRev: ev.Kv.CreateRevision}
		}
		w.notifyLocked()
		w.mu.Unlock()
	}
	return ctx.Err()
}

func (w *leaderWatch) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// leader returns the candidate with the oldest key (the leader), whether
// there is one, and whether the view is synced at all.
func (w *leaderWatch) leader() (c candidate, ok, synced bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cand := range w.cands {
		if !ok || cand.createRev < c.createRev {
			c, ok = cand, true
		}
	}
	return c, ok, w.synced
}

// peers returns every candidate's address, leader first.
func (w *leaderWatch) peers() ([]string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cands := make([]candidate, 0, len(w.cands))
	for _, c := range w.cands {
		cands = append(cands, c)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].createRev < cands[j].createRev })
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.addr
	}
	return out, w.synced
}

// changes returns a channel closed at the next change of the view.
func (w *leaderWatch) changes() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}
