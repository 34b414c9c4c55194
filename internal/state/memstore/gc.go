package memstore

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
)

// DeleteAllocs removes allocations; unknown IDs are skipped.
func (s *Store) DeleteAllocs(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		usage := freedNodes(t.Snapshot(), ids, map[string]bool{})
		deleteAllocs(t, ids, usage, idx)
		return nil
	})
}

// freedNodes adds to usage the nodes where one of the allocations ids
// still holds resources (deleting it frees them, as a plan stopping it
// would), reading before the transaction writes.
func freedNodes(snap *index.Snapshot, ids []string, usage map[string]bool) map[string]bool {
	for _, id := range ids {
		if a := snap.Alloc(id); a != nil && !a.TerminalStatus() {
			usage[a.NodeID] = true
		}
	}
	return usage
}

// deleteAllocs removes allocations at idx and touches the usage of the
// nodes they freed.
func deleteAllocs(t *index.Txn, ids []string, usage map[string]bool, idx uint64) {
	for _, id := range ids {
		t.DeleteAlloc(id)
	}
	for n := range usage {
		t.SetNodeUsage(n, idx)
	}
}

// PurgeJobs deletes each job still at its ModifyIndex, with its versions
// and the evaluations and allocations named with it, in one write. It
// reads everything first: reads after writes make memdb copy more.
func (s *Store) PurgeJobs(ctx context.Context, jobs []state.JobGarbage) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		snap := t.Snapshot()
		type purge struct {
			g        state.JobGarbage
			versions []uint64
		}
		var todo []purge
		var allocs []string
		for _, g := range jobs {
			ns := rules.Namespace(g.Namespace)
			j := snap.Job(ns, g.ID)
			if j == nil || j.ModifyIndex != g.ModifyIndex {
				continue
			}
			g.Namespace = ns
			p := purge{g: g}
			for _, v := range snap.JobVersions(ns, g.ID) {
				p.versions = append(p.versions, v.Version)
			}
			todo = append(todo, p)
			allocs = append(allocs, g.Allocs...)
		}
		usage := freedNodes(snap, allocs, map[string]bool{})
		for _, p := range todo {
			for _, v := range p.versions {
				t.DeleteJobVersion(p.g.Namespace, p.g.ID, v)
			}
			t.DeleteJob(p.g.Namespace, p.g.ID)
			for _, id := range p.g.Evals {
				t.DeleteEval(id)
			}
		}
		deleteAllocs(t, allocs, usage, idx)
		return nil
	})
}

// DeleteNodes removes each node still at its ModifyIndex.
func (s *Store) DeleteNodes(ctx context.Context, nodes []state.NodeGarbage) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		snap := t.Snapshot()
		var del []string
		for _, g := range nodes {
			if n := snap.Node(g.ID); n != nil && n.ModifyIndex == g.ModifyIndex {
				del = append(del, g.ID)
			}
		}
		for _, id := range del {
			t.DeleteNode(id)
		}
		return nil
	})
}
