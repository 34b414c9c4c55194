package memstore

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
)

// DeleteAllocs removes allocations; unknown IDs are skipped.
func (s *Store) DeleteAllocs(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		deleteAllocs(t, ids, idx)
		return nil
	})
}

// deleteAllocs removes allocations at idx; a node whose resource-holding
// set shrinks gets its usage touched, as a plan that stops one would.
func deleteAllocs(t *index.Txn, ids []string, idx uint64) {
	snap := t.Snapshot()
	usage := map[string]bool{}
	for _, id := range ids {
		if a := snap.Alloc(id); a != nil && !a.TerminalStatus() {
			usage[a.NodeID] = true
		}
	}
	for _, id := range ids {
		t.DeleteAlloc(id)
	}
	for n := range usage {
		t.SetNodeUsage(n, idx)
	}
}

// PurgeJobs deletes each job still at its ModifyIndex, with its versions
// and the evaluations and allocations named with it, in one write.
func (s *Store) PurgeJobs(ctx context.Context, jobs []state.JobGarbage) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		snap := t.Snapshot()
		var purge []state.JobGarbage
		for _, g := range jobs {
			if j := snap.Job(g.Namespace, g.ID); j != nil && j.ModifyIndex == g.ModifyIndex {
				purge = append(purge, g)
			}
		}
		for _, g := range purge {
			for _, v := range t.Snapshot().JobVersions(g.Namespace, g.ID) {
				t.DeleteJobVersion(g.Namespace, g.ID, v.Version)
			}
			t.DeleteJob(g.Namespace, g.ID)
			for _, id := range g.Evals {
				t.DeleteEval(id)
			}
			deleteAllocs(t, g.Allocs, idx)
		}
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
