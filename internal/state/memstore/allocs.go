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
		snap := t.Snapshot()
		var writes []allocWrite
		for _, upd := range allocs {
			if stored := snap.Alloc(upd.ID); stored != nil {
				writes = append(writes, allocWrite{stored: stored, c: rules.MergeClient(stored, upd, now)})
			}
		}
		putAllocs(t, writes, idx)
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
		snap := t.Snapshot()
		if err := rules.CheckPlan(snap, plan, nil); err != nil {
			return err
		}
		writes, err := planWrites(snap, plan, now)
		if err != nil {
			return err
		}
		putAllocs(t, writes, idx)
		return writeEvals(t, evals, idx, now)
	})
}

// allocWrite is one allocation to store over the stored one (or nil).
type allocWrite struct {
	stored, c *structs.Allocation
	// server marks a plan's write, which sets AllocModifyIndex.
	server bool
	// placed marks a placement, which always touches the node's usage.
	placed bool
}

// planWrites reads everything a plan's writes need before any write, as
// reading an index already written in the transaction makes writes dearer.
func planWrites(snap *index.Snapshot, plan *structs.Plan, now time.Time) ([]allocWrite, error) {
	var writes []allocWrite
	for _, it := range rules.PlanItems(plan) {
		stored := snap.Alloc(it.Alloc.ID)
		if it.Stop {
			if stored != nil {
				writes = append(writes, allocWrite{stored: stored, c: rules.MergeStop(stored, it.Alloc, now), server: true})
			}
			continue
		}
		c, err := rules.Place(stored, it.Alloc, now)
		if err != nil {
			return nil, err
		}
		writes = append(writes, allocWrite{stored: stored, c: c, server: true, placed: true})
	}
	return writes, nil
}

// putAllocs stores writes at idx. Plan writes (placements and stops) set
// AllocModifyIndex; client merges keep it.
func putAllocs(t *index.Txn, writes []allocWrite, idx uint64) {
	usage := map[string]bool{}
	for _, w := range writes {
		if w.server {
			w.c.AllocModifyIndex = idx
		}
		putAlloc(t, w.stored, w.c, idx, usage)
		if w.placed {
			usage[w.c.NodeID] = true
		}
	}
	for n := range usage {
		t.SetNodeUsage(n, idx)
	}
}

// putAlloc stores c (replacing stored, or nil) at idx and adds to usage
// every node whose resource-holding set it changes.
func putAlloc(t *index.Txn, stored, c *structs.Allocation, idx uint64, usage map[string]bool) {
	c.CreateIndex = idx
	if stored != nil {
		c.CreateIndex = stored.CreateIndex
		if stored.NodeID != c.NodeID && rules.HoldsResources(stored) {
			usage[stored.NodeID] = true
		}
	}
	c.ModifyIndex = idx
	if rules.HoldsResources(stored) != rules.HoldsResources(c) {
		usage[c.NodeID] = true
	}
	t.UpsertAlloc(c)
}
