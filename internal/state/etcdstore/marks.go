package etcdstore

import (
	"context"
	"errors"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state"
)

// Table indexes are etcd revisions: the ModRevision of the table's last
// change, the same on every server. A server that watched a deletion
// saw its revision; a server that loads the state later cannot see a
// deleted key. So every transaction that deletes from a table also puts
// that table's delete marker (<prefix>deletes/<table>): its ModRevision
// is the revision of the table's last deletion, and a loading server
// takes each table's index as the highest ModRevision of its keys and of
// its marker (load in watch.go), which is what the watching servers hold.

// tableOfKind is the table a key kind's deletions change.
var tableOfKind = map[string]state.Table{
	kindJobs: state.TableJobs, kindVersions: state.TableJobVersions, kindAllocs: state.TableAllocs,
	kindEvals: state.TableEvals, kindNodes: state.TableNodes, kindServices: state.TableServices,
	kindPolicies: state.TableACLPolicies, kindTokens: state.TableACLTokens, kindACLBoot: state.TableACLTokens,
}

// markerTables are the tables a delete marker may name.
var markerTables = func() map[state.Table]bool {
	out := map[state.Table]bool{}
	for _, t := range tableOfKind {
		out[t] = true
	}
	return out
}()

// deletedTable is the table a deleted key belongs to, false for keys of
// no table (node usage) or outside the layout.
func (k keys) deletedTable(key string) (state.Table, bool) {
	rest, ok := strings.CutPrefix(key, k.prefix)
	if !ok {
		return "", false
	}
	kind, _, _ := strings.Cut(rest, "/")
	t, ok := tableOfKind[kind]
	return t, ok
}

// newMarks returns the marker puts p's deletions need that b does not
// hold yet.
func (b *builder) newMarks(p *part) []keyedOp {
	var out []keyedOp
	for _, o := range p.ops {
		if !o.del {
			continue
		}
		t, ok := b.keys.deletedTable(o.key)
		if !ok {
			continue
		}
		mk := b.keys.deletes(t)
		if b.hasMark(mk) || containsKey(out, mk) {
			continue
		}
		out = append(out, keyedOp{mk, clientv3.OpPut(mk, ""), len(mk) + opOverhead, false})
	}
	return out
}

func (b *builder) hasMark(key string) bool { return containsKey(b.marks, key) }

func containsKey(ops []keyedOp, key string) bool {
	for _, o := range ops {
		if o.key == key {
			return true
		}
	}
	return false
}

// thenOps is what a transaction writes: its operations and its markers.
func (b *builder) thenOps() []clientv3.Op {
	if len(b.marks) == 0 {
		return b.ops
	}
	ops := append([]clientv3.Op(nil), b.ops...)
	for _, m := range b.marks {
		ops = append(ops, m.op)
	}
	return ops
}

// commitMarked commits b. When etcd is out of space (its NOSPACE alarm
// refuses every put, so that only deletes free room) a transaction of
// deletes is sent again without its markers: freeing space comes first.
// Until that table's next write, a server loading the state then reports
// the table's index from before those deletions.
func (s *Store) commitMarked(ctx context.Context, b *builder) (*clientv3.TxnResponse, error) {
	resp, err := s.commit(ctx, b)
	if err == nil || len(b.marks) == 0 || !errors.Is(err, state.ErrNoSpace) {
		return resp, err
	}
	s.log.Warn("etcdstore: out of space, deleting without delete markers", "err", err)
	b.marks = nil
	return s.commit(ctx, b)
}
