package rules

import (
	"fmt"
	"sort"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// PlanReader is what conflict checks read: the latest state of a job, a
// node and a node's usage index.
type PlanReader interface {
	Job(namespace, id string) *structs.Job
	Node(id string) *structs.Node
	NodeUsage(nodeID string) uint64
}

// PlanItem is one allocation a plan writes.
type PlanItem struct {
	// Stop is true for a NodeUpdate entry, false for a placement.
	Stop  bool
	Alloc *structs.Allocation
}

// PlanItems lists a plan's writes grouped by node (nodes sorted), each
// node's stops before its placements, so a split plan touches each node's
// usage in as few transactions as possible.
func PlanItems(p *structs.Plan) []PlanItem {
	nodes := map[string]bool{}
	for n := range p.NodeUpdate {
		nodes[n] = true
	}
	for n := range p.NodeAllocation {
		nodes[n] = true
	}
	ids := make([]string, 0, len(nodes))
	for n := range nodes {
		ids = append(ids, n)
	}
	sort.Strings(ids)
	items := make([]PlanItem, 0, p.Size())
	for _, n := range ids {
		for _, a := range p.NodeUpdate[n] {
			items = append(items, PlanItem{Stop: true, Alloc: a})
		}
		for _, a := range p.NodeAllocation[n] {
			items = append(items, PlanItem{Alloc: a})
		}
	}
	return items
}

// PlacementNodes lists the nodes that receive placements, sorted.
func PlacementNodes(p *structs.Plan) []string {
	var ids []string
	for n, as := range p.NodeAllocation {
		if len(as) > 0 {
			ids = append(ids, n)
		}
	}
	sort.Strings(ids)
	return ids
}

// CheckPlan refuses (with an error wrapping state.ErrConflict) a plan
// whose job changed after plan.SnapshotIndex, or whose placements go to a
// node that is gone, changed, or whose resource-holding allocations
// changed after it. own maps nodes whose usage this same plan already
// changed (in an earlier transaction) to the index of that change; those
// may not have changed since.
func CheckPlan(r PlanReader, p *structs.Plan, own map[string]uint64) error {
	if err := checkPlanJob(r, p); err != nil {
		return err
	}
	for _, n := range PlacementNodes(p) {
		if err := checkPlanNode(r, p.SnapshotIndex, n, own); err != nil {
			return err
		}
	}
	return nil
}

func checkPlanJob(r PlanReader, p *structs.Plan) error {
	job := r.Job(Namespace(p.Namespace), p.JobID)
	switch {
	case job == nil && len(PlacementNodes(p)) > 0:
		return fmt.Errorf("apply plan: job %q is gone: %w", p.JobID, state.ErrConflict)
	case job != nil && job.ModifyIndex > p.SnapshotIndex:
		return fmt.Errorf("apply plan: job %q changed at index %d after snapshot %d: %w",
			p.JobID, job.ModifyIndex, p.SnapshotIndex, state.ErrConflict)
	}
	return nil
}

func checkPlanNode(r PlanReader, snapshot uint64, id string, own map[string]uint64) error {
	node := r.Node(id)
	if node == nil {
		return fmt.Errorf("apply plan: node %s is gone: %w", id, state.ErrConflict)
	}
	if node.ModifyIndex > snapshot {
		return fmt.Errorf("apply plan: node %s changed at index %d after snapshot %d: %w",
			id, node.ModifyIndex, snapshot, state.ErrConflict)
	}
	usage, limit := r.NodeUsage(id), snapshot
	if o, ok := own[id]; ok {
		limit = o
	}
	if usage > limit {
		return fmt.Errorf("apply plan: allocations of node %s changed at index %d after %d: %w",
			id, usage, limit, state.ErrConflict)
	}
	return nil
}

// ValidatePlan checks, before anything is written, that every entry of a
// plan names an allocation, and that placements name their job and the
// node they are listed under.
func ValidatePlan(p *structs.Plan) error {
	if p == nil {
		return fmt.Errorf("apply plan: no plan: %w", ErrInvalid)
	}
	for n, as := range p.NodeUpdate {
		for _, a := range as {
			if a == nil || a.ID == "" {
				return fmt.Errorf("apply plan: stop on node %s without alloc ID: %w", n, ErrInvalid)
			}
		}
	}
	for n, as := range p.NodeAllocation {
		for _, a := range as {
			if a == nil || a.ID == "" || a.JobID == "" || a.NodeID != n {
				return fmt.Errorf("apply plan: placement on node %s needs an ID, a JobID and NodeID %s: %w", n, n, ErrInvalid)
			}
		}
	}
	return nil
}
