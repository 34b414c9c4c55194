package structs

// Plan is the scheduler's answer to an evaluation: allocations to stop or
// update per node and new allocations to place per node. The leader applies
// it in one or more store transactions that fail if the state it was computed
// from has changed.
type Plan struct {
	EvalID    string
	Namespace string
	JobID     string
	Priority  int
	// SnapshotIndex is the store index the plan was computed at.
	SnapshotIndex uint64
	// NodeUpdate holds allocations whose DesiredStatus (and possibly
	// ClientStatus, for lost allocations) change, by node.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds allocations to create or update in place, by node.
	NodeAllocation map[string][]*Allocation
	Annotations    *PlanAnnotations
}

// NewPlan returns an empty plan for an evaluation.
func NewPlan(eval *Evaluation, snapshotIndex uint64) *Plan {
	return &Plan{
		EvalID: eval.ID, Namespace: eval.Namespace, JobID: eval.JobID,
		Priority: eval.Priority, SnapshotIndex: snapshotIndex,
		NodeUpdate: map[string][]*Allocation{}, NodeAllocation: map[string][]*Allocation{},
	}
}

// AppendStop records that alloc must stop, with a reason and, for lost
// allocations, a new client status.
func (p *Plan) AppendStop(alloc *Allocation, desc, clientStatus string) {
	c := alloc.Copy()
	c.DesiredStatus = AllocDesiredStatusStop
	c.DesiredDescription = desc
	if clientStatus != "" {
		c.ClientStatus = clientStatus
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], c)
}

// AppendAlloc records a new or in-place-updated allocation.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0
}

// Size is the number of allocations the plan writes.
func (p *Plan) Size() int {
	n := 0
	for _, as := range p.NodeUpdate {
		n += len(as)
	}
	for _, as := range p.NodeAllocation {
		n += len(as)
	}
	return n
}

// PlanAnnotations tells what a plan would do, per task group.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
	PreemptedAllocs  []*AllocListStub
}

// DesiredUpdates counts the changes a plan makes to one task group.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
	RescheduleNow     uint64
	RescheduleLater   uint64
}
