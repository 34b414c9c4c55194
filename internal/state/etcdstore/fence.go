package etcdstore

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state"
)

// txnBuilder returns the builder of one transaction of a write made with
// ctx. When ctx carries a leadership fence the transaction's first
// compare is that the fence's key still has its CreateRevision, and its
// Else branch reads that key, so a refused transaction tells a lost
// leadership from a lost race in the same round trip. A fence already
// known to be lost refuses the write before anything is sent.
func (s *Store) txnBuilder(ctx context.Context) (*builder, error) {
	b := s.newBuilder()
	f, ok := state.FenceFrom(ctx)
	if !ok {
		return b, nil
	}
	if !f.Holds() {
		return nil, fmt.Errorf("etcdstore: %w", state.ErrNotLeader)
	}
	if f.Key != "" {
		b.fence = &f
		b.cmpKeys[f.Key] = true
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(f.Key), "=", f.Rev))
		b.bytes += len(f.Key) + opOverhead
	}
	return b, nil
}

// fencedTxnTimeout bounds a fenced transaction once its caller's context
// has ended.
const fencedTxnTimeout = 3 * time.Second

// txnContext is the context of one transaction's request. A fenced
// transaction already sent is not abandoned when its caller's context
// ends (a leader stepping down as its key is deleted): etcd's answer then
// says for certain whether it was applied, and it cannot be once the
// leadership is gone. Nothing is sent after the caller's context ended.
func (b *builder) txnContext(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if b.fence == nil {
		return ctx, func() {}, nil
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(fencedTxnTimeout, cancel)
		context.AfterFunc(tctx, func() { t.Stop() })
	})
	return tctx, func() { stop(); cancel() }, nil
}

// elseOps is what a refused transaction reads: the fence's key.
func (b *builder) elseOps() []clientv3.Op {
	if b.fence == nil {
		return nil
	}
	return []clientv3.Op{clientv3.OpGet(b.fence.Key, clientv3.WithKeysOnly())}
}

// fenceLost reports whether a refused transaction was refused because
// the fence's key is gone or was created again: the leadership it stood
// for is over, and no retry can succeed.
func (b *builder) fenceLost(resp *clientv3.TxnResponse) bool {
	if b.fence == nil || resp.Succeeded {
		return false
	}
	for _, r := range resp.Responses {
		if rr := r.GetResponseRange(); rr != nil {
			return len(rr.Kvs) == 0 || rr.Kvs[0].CreateRevision != b.fence.Rev
		}
	}
	return false
}

// errFenceLost is the error of a transaction refused by its fence.
func (b *builder) errFenceLost() error {
	return fmt.Errorf("etcdstore: election key %s no longer has revision %d: %w", b.fence.Key, b.fence.Rev, state.ErrNotLeader)
}
