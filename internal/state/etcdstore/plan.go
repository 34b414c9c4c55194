package etcdstore

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// ApplyPlan writes a plan in as few transactions as fit. Every
// transaction compares the job key with the revision the plan saw, and,
// for each node it places on, the node key and the node's usage key (the
// usage key at the revision of this plan's own earlier transaction when
// one touched it). Stops and in-place updates merge into the latest
// stored allocation. A transaction whose compares fail is rebuilt after
// the index catches up, unless the plan itself now conflicts: then the
// earlier transactions stay applied and the error wraps state.ErrConflict.
func (s *Store) ApplyPlan(ctx context.Context, plan *structs.Plan, evals []*structs.Evaluation) (uint64, error) {
	now := s.now()
	prepared, err := rules.PrepareEvals(evals, now)
	if err != nil {
		return 0, err
	}
	if err := rules.ValidatePlan(plan); err != nil {
		return 0, err
	}
	if err := s.waitApplied(ctx, plan.SnapshotIndex); err != nil {
		return 0, err
	}
	w := &planWriter{s: s, plan: plan, items: rules.PlanItems(plan), evals: prepared,
		own: map[string]uint64{}}
	return s.write(ctx, len(w.items)+len(prepared), w.fill, w.done)
}

// planWriter splits one plan into transactions.
type planWriter struct {
	s     *Store
	plan  *structs.Plan
	items []rules.PlanItem
	evals []*structs.Evaluation
	// own maps nodes whose usage key this plan put to that revision.
	own map[string]uint64
}

// fill adds the plan's items from index from on while they fit, after
// checking the plan still holds against snap.
func (w *planWriter) fill(snap *index.Snapshot, b *builder, from int) (int, error) {
	if err := rules.CheckPlan(snap, w.plan, w.own); err != nil {
		return from, err
	}
	if job := snap.Job(rules.Namespace(w.plan.Namespace), w.plan.JobID); job != nil {
		p := &part{}
		p.modRevIs(w.s.keys.job(job.Namespace, job.ID), job.ModifyIndex)
		b.add(p)
	}
	n := len(w.items)
	i := from
	for ; i < n; i++ {
		p, err := w.part(snap, w.items[i])
		if err != nil {
			return i, err
		}
		if p != nil && !b.add(p) {
			return i, nil
		}
	}
	to, err := w.s.fillEvals(b, w.evals, i-n)
	return n + to, err
}

// part is one stop or placement.
func (w *planWriter) part(snap *index.Snapshot, it rules.PlanItem) (*part, error) {
	stored := snap.Alloc(it.Alloc.ID)
	now := w.s.now()
	p := &part{}
	if it.Stop {
		if stored == nil {
			return nil, nil
		}
		return p, w.s.putAlloc(p, stored, rules.MergeStop(stored, it.Alloc, now), true)
	}
	c, err := rules.Place(stored, it.Alloc, now)
	if err != nil {
		return nil, err
	}
	node := snap.Node(c.NodeID)
	if node == nil {
		return nil, fmt.Errorf("apply plan: node %s is gone: %w", c.NodeID, state.ErrConflict)
	}
	p.modRevIs(w.s.keys.node(c.NodeID), node.ModifyIndex)
	p.modRevIs(w.s.keys.usage(c.NodeID), w.usage(snap, c.NodeID))
	p.putUsage(w.s.keys, c.NodeID)
	return p, w.s.putAlloc(p, stored, c, true)
}

// usage is the revision a node's usage key must still have.
func (w *planWriter) usage(snap *index.Snapshot, nodeID string) uint64 {
	if rev, ok := w.own[nodeID]; ok {
		return rev
	}
	return snap.NodeUsage(nodeID)
}

// done records the usage keys a committed transaction put.
func (w *planWriter) done(b *builder, rev uint64) {
	for _, n := range b.usage {
		w.own[n] = rev
	}
}
