package structs

import "time"

// Evaluation statuses.
const (
	EvalStatusBlocked   = "blocked"
	EvalStatusPending   = "pending"
	EvalStatusComplete  = "complete"
	EvalStatusFailed    = "failed"
	EvalStatusCancelled = "canceled"
)

// What triggered an evaluation.
const (
	EvalTriggerJobRegister    = "job-register"
	EvalTriggerJobDeregister  = "job-deregister"
	EvalTriggerNodeUpdate     = "node-update"
	EvalTriggerAllocStop      = "alloc-stop"
	EvalTriggerScaling        = "job-scaling"
	EvalTriggerQueuedAllocs   = "queued-allocs"
	EvalTriggerRetryFailed    = "alloc-failure"
	EvalTriggerFailedFollowUp = "failed-follow-up"
	EvalTriggerMaxPlans       = "max-plan-attempts"
	EvalTriggerRollingUpdate  = "rolling-update"
)

// Evaluation is a request to reconcile one job's desired and actual state.
type Evaluation struct {
	ID                string
	Priority          int
	Type              string
	TriggeredBy       string
	Namespace         string
	JobID             string
	JobModifyIndex    uint64
	NodeID            string
	NodeModifyIndex   uint64
	Status            string
	StatusDescription string
	Wait              time.Duration
	WaitUntil         time.Time
	NextEval          string
	PreviousEval      string
	BlockedEval       string
	FailedTGAllocs    map[string]*AllocMetric
	PlanAnnotations   *PlanAnnotations `json:",omitempty"`
	ClassEligibility  map[string]bool
	QueuedAllocations map[string]int
	SnapshotIndex     uint64
	CreateIndex       uint64
	ModifyIndex       uint64
	CreateTime        int64
	ModifyTime        int64
}

// TerminalStatus reports whether the evaluation is done.
func (e *Evaluation) TerminalStatus() bool {
	switch e.Status {
	case EvalStatusComplete, EvalStatusFailed, EvalStatusCancelled:
		return true
	}
	return false
}

// Copy returns a shallow copy whose maps can be replaced freely.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}
