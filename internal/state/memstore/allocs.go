package memstore

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpdateAllocsFromClient merges client-owned fields into the stored
// allocations and writes evals, in one transaction.
func (s *Store) UpdateAllocsFromClient(ctx context.Context, allocs []*structs.Allocation, evals []*structs.Evaluation) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		for _, upd := range allocs {
			stored := t.Snapshot().Alloc(upd.ID)
			if stored == nil {
				continue
			}
			putAlloc(t, stored, rules.MergeClient(stored, upd, now), idx)
		}
		return writeEvals(t, evals, idx, now)
	})
}

// ApplyPlan writes a plan in one transaction, or refuses it with
// state.ErrConflict when its job or placement nodes changed after
// plan.SnapshotIndex.
func (s *Store) ApplyPlan(ctx context.Context, plan *structs.Plan, evals []*structs.Evaluation) (uint64, error) {
	if err := rules.ValidatePlan(plan); err != nil {
		return 0, err
	}
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		if err := rules.CheckPlan(t.Snapshot(), plan, nil); err != nil {
			return err
		}
		for _, it := range rules.PlanItems(plan) {
			if err := applyPlanItem(t, it, idx, now); err != nil {
				return err
			}
		}
		return writeEvals(t, evals, idx, now)
	})
}

// applyPlanItem writes one stop or placement at idx.
func applyPlanItem(t *index.Txn, it rules.PlanItem, idx uint64, now time.Time) error {
	stored := t.Snapshot().Alloc(it.Alloc.ID)
	if it.Stop {
		if stored == nil {
			return nil
		}
		c := rules.MergeStop(stored, it.Alloc, now)
		c.AllocModifyIndex = idx
		putAlloc(t, stored, c, idx)
		return nil
	}
	c, err := rules.Place(stored, it.Alloc, now)
	if err != nil {
		return err
	}
	c.AllocModifyIndex = idx
	putAlloc(t, stored, c, idx)
	t.SetNodeUsage(c.NodeID, idx)
	return nil
}

// putAlloc stores c (replacing stored, or nil) at idx and records a usage
// change on every node whose resource-holding set it changes.
func putAlloc(t *index.Txn, stored, c *structs.Allocation, idx uint64) {
	c.CreateIndex = idx
	if stored != nil {
		c.CreateIndex = stored.CreateIndex
		if stored.NodeID != c.NodeID && rules.HoldsResources(stored) {
			t.SetNodeUsage(stored.NodeID, idx)
		}
	}
	if stored != nil && c.AllocModifyIndex == 0 {
		c.AllocModifyIndex = stored.AllocModifyIndex
	}
	c.ModifyIndex = idx
	if rules.HoldsResources(stored) != rules.HoldsResources(c) {
		t.SetNodeUsage(c.NodeID, idx)
	}
	t.UpsertAlloc(c)
}
