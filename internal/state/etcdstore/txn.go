package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
)

const (
	// maxAttempts bounds how often a write is rebuilt after losing a race.
	maxAttempts = 10
	// progressAfter is how long a writer waits for the watch before asking
	// etcd for a progress notification.
	progressAfter = 100 * time.Millisecond
	// opOverhead and requestMargin account for protobuf framing, so a
	// transaction stays under MaxRequestBytes.
	opOverhead    = 32
	requestMargin = 16 * 1024
)

// part is what one item of a write adds to a transaction: compares and
// operations keyed by etcd key (a key is compared and written at most
// once per transaction), and the nodes whose usage key it puts.
type part struct {
	cmps  []keyedCmp
	ops   []keyedOp
	usage []string
}

type keyedCmp struct {
	key string
	cmp clientv3.Cmp
}

type keyedOp struct {
	key  string
	op   clientv3.Op
	size int
	del  bool
}

// modRevIs guards key: it must still be at revision rev (0: must not exist).
func (p *part) modRevIs(key string, rev uint64) {
	p.cmps = append(p.cmps, keyedCmp{key, clientv3.Compare(clientv3.ModRevision(key), "=", int64(rev))})
}

func (p *part) put(key, value string) {
	p.ops = append(p.ops, keyedOp{key, clientv3.OpPut(key, value), len(key) + len(value) + opOverhead, false})
}

func (p *part) del(key string, opts ...clientv3.OpOption) {
	p.ops = append(p.ops, keyedOp{key, clientv3.OpDelete(key, opts...), len(key) + opOverhead, true})
}

// putUsage touches a node's usage key.
func (p *part) putUsage(k keys, nodeID string) {
	p.put(k.usage(nodeID), "")
	p.usage = append(p.usage, nodeID)
}

// builder collects parts into one transaction within the size limits.
type builder struct {
	maxOps, maxBytes int
	cmps             []clientv3.Cmp
	ops              []clientv3.Op
	bytes            int
	cmpKeys          map[string]bool
	opKeys           map[string]int
	usage            []string
	// fence, when set, is the leadership the transaction is made under.
	fence *state.Fence
	// keys names the delete markers; marks holds the puts of the markers
	// of the tables the transaction deletes from (see marks.go).
	keys  keys
	marks []keyedOp
}

func (s *Store) newBuilder() *builder {
	return &builder{
		maxOps: s.cfg.MaxTxnOps, maxBytes: s.cfg.MaxRequestBytes - requestMargin,
		cmpKeys: map[string]bool{}, opKeys: map[string]int{}, keys: s.keys,
	}
}

// add adds p when it fits and reports whether it did.
func (b *builder) add(p *part) bool {
	marks := b.newMarks(p)
	nc, no, nb := 0, len(marks), 0
	for _, m := range marks {
		nb += m.size
	}
	for _, c := range p.cmps {
		if !b.cmpKeys[c.key] {
			nc++
			nb += len(c.key) + opOverhead
		}
	}
	for _, o := range p.ops {
		if _, ok := b.opKeys[o.key]; !ok {
			no++
		}
		nb += o.size
	}
	if len(b.cmps)+nc > b.maxOps || len(b.ops)+len(b.marks)+no > b.maxOps || b.bytes+nb > b.maxBytes {
		return false
	}
	for _, c := range p.cmps {
		if !b.cmpKeys[c.key] {
			b.cmpKeys[c.key] = true
			b.cmps = append(b.cmps, c.cmp)
		}
	}
	for _, o := range p.ops {
		if i, ok := b.opKeys[o.key]; ok {
			b.ops[i] = o.op
			continue
		}
		b.opKeys[o.key] = len(b.ops)
		b.ops = append(b.ops, o.op)
	}
	b.bytes += nb
	b.usage = append(b.usage, p.usage...)
	b.marks = append(b.marks, marks...)
	return true
}

// errTooLarge reports one item that cannot fit in a transaction.
var errTooLarge = errors.New("write does not fit in one etcd transaction (max-txn-ops / max-request-bytes)")

// fillFunc adds items from index from on to b, reading the index through
// snap, and returns the index of the first item it did not add.
type fillFunc func(snap *index.Snapshot, b *builder, from int) (int, error)

// write commits n items in as few transactions as fit. When a
// transaction's compares fail it waits for the index to catch up and
// rebuilds that transaction, at most maxAttempts times in a row. done
// (optional) learns each committed transaction's builder and revision. It
// returns the revision of the last committed transaction (or the current
// index when nothing was written) once the index has applied it, also
// when a later transaction failed.
func (s *Store) write(ctx context.Context, n int, fill fillFunc, done func(*builder, uint64)) (uint64, error) {
	if f, ok := state.FenceFrom(ctx); ok && !f.Holds() {
		return 0, fmt.Errorf("etcdstore: %w", state.ErrNotLeader)
	}
	last, err := s.commitAll(ctx, n, fill, done)
	if last == 0 {
		if err != nil {
			return 0, err
		}
		return s.idx.Index(), nil
	}
	if werr := s.waitApplied(ctx, last); err == nil {
		err = werr
	}
	return last, err
}

// commitAll is write's loop; it returns the last committed revision.
func (s *Store) commitAll(ctx context.Context, n int, fill fillFunc, done func(*builder, uint64)) (uint64, error) {
	var last uint64
	for from, attempts := 0, 0; from < n; {
		if s.closed.Load() {
			return last, state.ErrClosed
		}
		b, err := s.txnBuilder(ctx)
		if err != nil {
			return last, err
		}
		to, err := fill(s.idx.Snapshot(), b, from)
		if err != nil {
			return last, err
		}
		if to == from {
			return last, errTooLarge
		}
		if len(b.ops) == 0 {
			from = to
			continue
		}
		resp, err := s.commitMarked(ctx, b)
		if err != nil {
			return last, err
		}
		rev := uint64(resp.Header.Revision)
		if b.fenceLost(resp) {
			return last, b.errFenceLost()
		}
		if !resp.Succeeded {
			if attempts++; attempts >= maxAttempts {
				return last, fmt.Errorf("etcdstore: lost %d races in a row: %w", attempts, state.ErrConflict)
			}
			if err := s.waitApplied(ctx, rev); err != nil {
				return last, err
			}
			continue
		}
		attempts, last, from = 0, rev, to
		if done != nil {
			done(b, rev)
		}
	}
	return last, nil
}

// writeOne commits the part build returns (nil: nothing to write) in one
// transaction, rebuilding it after a lost race.
func (s *Store) writeOne(ctx context.Context, build func(*index.Snapshot) (*part, error)) (uint64, error) {
	return s.write(ctx, 1, func(snap *index.Snapshot, b *builder, _ int) (int, error) {
		p, err := build(snap)
		if err != nil || p == nil || b.add(p) {
			return 1, err
		}
		return 0, nil
	}, nil)
}

func (s *Store) commit(ctx context.Context, b *builder) (*clientv3.TxnResponse, error) {
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	tctx, cancel, err := b.txnContext(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	s.writes.Add(1)
	start := time.Now()
	resp, err := s.cli.Txn(tctx).If(b.cmps...).Then(b.thenOps()...).Else(b.elseOps()...).Commit()
	metrics.EtcdTxn(time.Since(start), err)
	if err != nil {
		return nil, txnError(err)
	}
	if s.afterCommit != nil && resp.Succeeded {
		s.afterCommit(uint64(resp.Header.Revision))
	}
	return resp, nil
}

// waitApplied waits until the index has applied revision rev, asking
// etcd for progress notifications when no event arrives for a while.
func (s *Store) waitApplied(ctx context.Context, rev uint64) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, progressAfter)
		_, err := s.idx.WaitIndex(wctx, rev)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, state.ErrClosed):
			return err
		}
		s.requestProgress()
	}
}
