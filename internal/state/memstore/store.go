// Package memstore is the in-memory twin of the etcd store: the same
// state.Store contract over the shared memdb index, with an in-process
// counter as the store index. It persists nothing; tests and tools that
// need no etcd use it.
//
// memstore must never import go.etcd.io, internal/server,
// internal/scheduler, internal/client or internal/api: neither etcd nor any
// package above state.
package memstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
)

// Store is an in-memory state.Store. Writes are serialized by the index's
// single writer; each changing write takes the next counter value as its
// index.
type Store struct {
	idx    *index.Index
	closed atomic.Bool
	now    func() time.Time
}

var _ state.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{idx: index.New(), now: time.Now}
}

// Snapshot returns a consistent, immutable view at the latest index.
func (s *Store) Snapshot() state.Snapshot { return s.idx.Snapshot() }

// WaitForChange blocks until the index of any of tables exceeds min.
func (s *Store) WaitForChange(ctx context.Context, min uint64, tables ...state.Table) (uint64, error) {
	return s.idx.WaitForChange(ctx, min, tables...)
}

// Close makes further calls fail with state.ErrClosed and wakes waiters.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.idx.Close()
	return nil
}

// write runs fn in one index transaction at the next index and commits it
// when it changed something, unless ctx carries a leadership fence that
// no longer holds (state.ErrNotLeader); it returns the index of the write, or the
// current index when nothing changed.
func (s *Store) write(ctx context.Context, fn func(t *index.Txn, idx uint64, now time.Time) error) (uint64, error) {
	if s.closed.Load() {
		return 0, state.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t := s.idx.Txn()
	if f, ok := state.FenceFrom(ctx); ok && !f.Holds() {
		// Checked under the index's writer lock: a fence revoked before
		// this point refuses the whole write.
		t.Abort()
		return 0, fmt.Errorf("memstore: %w", state.ErrNotLeader)
	}
	next := t.Snapshot().Index() + 1
	if err := fn(t, next, s.now()); err != nil {
		t.Abort()
		return 0, err
	}
	if !t.Changed() {
		t.Abort()
		return next - 1, nil
	}
	if err := t.Commit(next); err != nil {
		return 0, err
	}
	return next, nil
}
