package etcdstore

import (
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// An allocation is stored without its zero fields: it is written at least
// twice (placed, then running) and each write also travels through the
// raft log, the WAL and every server's watch, so its size counts several
// times. Decoding into a fresh Allocation reads an absent field as its
// zero value, so the stored form reads back the same, and values stored
// in full before are read as they always were. storedAlloc and
// storedMetric mirror structs.Allocation and structs.AllocMetric field for
// field (a conversion between them does not compile once they differ).

// storedAlloc is structs.Allocation with every field omitted when zero
// (omitzero: an empty map or list is still written, as it was).
type storedAlloc struct {
	ID                 string                        `json:",omitzero"`
	Namespace          string                        `json:",omitzero"`
	EvalID             string                        `json:",omitzero"`
	Name               string                        `json:",omitzero"`
	NodeID             string                        `json:",omitzero"`
	NodeName           string                        `json:",omitzero"`
	JobID              string                        `json:",omitzero"`
	JobVersion         uint64                        `json:",omitzero"`
	Job                *structs.Job                  `json:",omitzero"`
	TaskGroup          string                        `json:",omitzero"`
	AllocatedResources *structs.AllocatedResources   `json:",omitzero"`
	Metrics            *structs.AllocMetric          `json:",omitzero"`
	DesiredStatus      string                        `json:",omitzero"`
	DesiredDescription string                        `json:",omitzero"`
	DesiredTransition  structs.DesiredTransition     `json:",omitzero"`
	ClientStatus       string                        `json:",omitzero"`
	ClientDescription  string                        `json:",omitzero"`
	TaskStates         map[string]*structs.TaskState `json:",omitzero"`
	FollowupEvalID     string                        `json:",omitzero"`
	PreviousAllocation string                        `json:",omitzero"`
	NextAllocation     string                        `json:",omitzero"`
	RescheduleTracker  *structs.RescheduleTracker    `json:",omitzero"`
	CreateIndex        uint64                        `json:",omitzero"`
	ModifyIndex        uint64                        `json:",omitzero"`
	AllocModifyIndex   uint64                        `json:",omitzero"`
	CreateTime         int64                         `json:",omitzero"`
	ModifyTime         int64                         `json:",omitzero"`
}

// storedMetric is structs.AllocMetric with every field omitted when zero.
type storedMetric struct {
	NodesEvaluated     int                `json:",omitzero"`
	NodesFiltered      int                `json:",omitzero"`
	NodesInPool        int                `json:",omitzero"`
	NodesAvailable     map[string]int     `json:",omitzero"`
	ClassFiltered      map[string]int     `json:",omitzero"`
	ConstraintFiltered map[string]int     `json:",omitzero"`
	NodesExhausted     int                `json:",omitzero"`
	ClassExhausted     map[string]int     `json:",omitzero"`
	DimensionExhausted map[string]int     `json:",omitzero"`
	QuotaExhausted     []string           `json:",omitzero"`
	Scores             map[string]float64 `json:",omitzero"`
	AllocationTime     time.Duration      `json:",omitzero"`
	CoalescedFailures  int                `json:",omitzero"`
}

// allocValue is a stored allocation: its compact form, its metrics'
// compact form (shadowing the embedded Metrics) and the marker.
type allocValue struct {
	*storedAlloc
	Metrics          *storedMetric `json:",omitzero"`
	WharfServerWrite bool          `json:",omitzero"`
}

// compactAlloc returns a's stored value: without its Job (the API fills
// it from the job's versions) and without the indexes every read takes
// from the key's revisions.
func compactAlloc(a *structs.Allocation, serverWrite bool) allocValue {
	c := storedAlloc(*a)
	c.Job, c.Metrics, c.CreateIndex, c.ModifyIndex = nil, nil, 0, 0
	v := allocValue{storedAlloc: &c, WharfServerWrite: serverWrite}
	if a.Metrics != nil {
		m := storedMetric(*a.Metrics)
		v.Metrics = &m
	}
	return v
}
