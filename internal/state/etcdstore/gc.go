package etcdstore

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// txnError wraps an error of an etcd transaction; etcd's "database space
// exceeded" becomes state.ErrNoSpace, which says what to do about it.
func txnError(err error) error {
	if errors.Is(err, rpctypes.ErrNoSpace) || errors.Is(err, rpctypes.ErrGRPCNoSpace) {
		return fmt.Errorf("etcdstore: txn: %w (%v)", state.ErrNoSpace, err)
	}
	return fmt.Errorf("etcdstore: txn: %w", err)
}

// DeleteAllocs removes allocations in as many transactions as they need;
// unknown IDs are skipped. Deleting an allocation that still holds
// resources touches its node's usage key, as a plan stopping it would.
func (s *Store) DeleteAllocs(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, len(ids), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < len(ids); i++ {
			p := &part{}
			s.delAlloc(p, snap.Alloc(ids[i]))
			if len(p.ops) > 0 && !b.add(p) {
				break
			}
		}
		return i, nil
	}, nil)
}

// delAlloc adds the delete of a (nil: nothing) to p, guarded by its
// revision.
func (s *Store) delAlloc(p *part, a *structs.Allocation) {
	if a == nil {
		return
	}
	key := s.keys.alloc(a)
	p.modRevIs(key, a.ModifyIndex)
	p.del(key)
	if rules.HoldsResources(a) {
		p.putUsage(s.keys, a.NodeID)
	}
}

// PurgeJobs deletes each job still at its ModifyIndex with its versions
// and the evaluations and allocations named with it, one job per part
// (a transaction holds as many parts as fit). A job with more objects
// than one transaction holds has its evaluations and allocations deleted
// first, then the job.
func (s *Store) PurgeJobs(ctx context.Context, jobs []state.JobGarbage) (uint64, error) {
	jobs = append([]state.JobGarbage(nil), jobs...)
	var last uint64
	for i, g := range jobs {
		if 3+len(g.Evals)+len(g.Allocs) <= s.cfg.MaxTxnOps/2 {
			continue
		}
		if !s.jobAt(g) {
			jobs[i].Evals, jobs[i].Allocs = nil, nil
			continue
		}
		if idx, err := s.DeleteEvals(ctx, g.Evals); err != nil {
			return last, err
		} else if idx > last {
			last = idx
		}
		if idx, err := s.DeleteAllocs(ctx, g.Allocs); err != nil {
			return last, err
		} else if idx > last {
			last = idx
		}
		jobs[i].Evals, jobs[i].Allocs = nil, nil
	}
	idx, err := s.write(ctx, len(jobs), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < len(jobs); i++ {
			if p := s.purgePart(snap, jobs[i]); p != nil && !b.add(p) {
				break
			}
		}
		return i, nil
	}, nil)
	return max(idx, last), err
}

// jobAt reports whether g's job is still at g.ModifyIndex.
func (s *Store) jobAt(g state.JobGarbage) bool {
	j := s.idx.Snapshot().Job(rules.Namespace(g.Namespace), g.ID)
	return j != nil && j.ModifyIndex == g.ModifyIndex
}

// purgePart is the purge of one job, or nil when it changed or is gone.
func (s *Store) purgePart(snap *index.Snapshot, g state.JobGarbage) *part {
	ns := rules.Namespace(g.Namespace)
	j := snap.Job(ns, g.ID)
	if j == nil || j.ModifyIndex != g.ModifyIndex {
		return nil
	}
	p := &part{}
	key := s.keys.job(ns, g.ID)
	p.modRevIs(key, j.ModifyIndex)
	p.del(key)
	p.del(s.keys.versions(ns, g.ID), clientv3.WithPrefix())
	for _, id := range g.Evals {
		if snap.Eval(id) != nil {
			p.del(s.keys.eval(id))
		}
	}
	for _, id := range g.Allocs {
		s.delAlloc(p, snap.Alloc(id))
	}
	return p
}

// DeleteNodes removes each node still at its ModifyIndex, with its usage
// key.
func (s *Store) DeleteNodes(ctx context.Context, nodes []state.NodeGarbage) (uint64, error) {
	return s.write(ctx, len(nodes), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < len(nodes); i++ {
			n := snap.Node(nodes[i].ID)
			if n == nil || n.ModifyIndex != nodes[i].ModifyIndex {
				continue
			}
			p := &part{}
			p.modRevIs(s.keys.node(n.ID), n.ModifyIndex)
			p.del(s.keys.node(n.ID))
			p.del(s.keys.usage(n.ID))
			if !b.add(p) {
				break
			}
		}
		return i, nil
	}, nil)
}

// Alarms lists the alarms etcd holds for its members (etcd's alarm
// list, also of an external cluster), each as "NOSPACE on member <hex
// ID>"; none when all is well.
func (s *Store) Alarms(ctx context.Context) ([]string, error) {
	resp, err := s.cli.AlarmList(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: alarm list: %w", err)
	}
	var out []string
	for _, a := range resp.Alarms {
		out = append(out, fmt.Sprintf("%s on member %x", a.Alarm, a.MemberID))
	}
	return out, nil
}
