package state

import (
	"context"
	"errors"
)

// ErrNotLeader: a write made under a leadership fence was refused because
// that leadership no longer holds; nothing of it was applied. The writer
// is no longer the leader and must not retry as one.
var ErrNotLeader = errors.New("leadership lost: write refused")

// Fence is the leadership term a write is made under. A write whose
// context carries a fence (WithFence) commits only while the term holds:
// the etcd store adds to each of its transactions a compare that Key
// still has CreateRevision Rev, and the in-memory store checks Held under
// its write lock. A refused write fails with ErrNotLeader.
type Fence struct {
	// Key is the etcd key whose existence is the term (the leader's
	// election key) and Rev its CreateRevision. An empty Key adds no
	// compare: only Held guards the write.
	Key string
	Rev int64
	// Held reports whether the term still holds as far as this process
	// knows; nil means it does. Both stores refuse a write at once when
	// it reports false.
	Held func() bool
}

// Holds reports what Held says, true when Held is nil.
func (f Fence) Holds() bool { return f.Held == nil || f.Held() }

type fenceKey struct{}

// WithFence returns ctx carrying f: every store write made with it (or a
// context derived from it) commits only while f holds.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence ctx carries, if any.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok
}
