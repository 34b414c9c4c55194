package structs

import "time"

// JobRegisterRequest is the body of PUT /v1/jobs.
type JobRegisterRequest struct {
	Job            *Job
	EnforceIndex   bool   `json:",omitempty"`
	JobModifyIndex uint64 `json:",omitempty"`
	PolicyOverride bool   `json:",omitempty"`
	PreserveCounts bool   `json:",omitempty"`
	EvalPriority   int    `json:",omitempty"`
}

// JobRegisterResponse answers a register, scale or revert.
type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	Index           uint64
}

// JobDeregisterResponse answers DELETE /v1/job/:id.
type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Index           uint64
}

// JobPlanRequest is the body of POST /v1/job/:id/plan.
type JobPlanRequest struct {
	Job            *Job
	Diff           bool
	PolicyOverride bool
}

// JobPlanResponse tells what registering a job would do.
type JobPlanResponse struct {
	JobModifyIndex     uint64
	CreatedEvals       []*Evaluation
	Diff               *JobDiff
	Annotations        *PlanAnnotations
	FailedTGAllocs     map[string]*AllocMetric
	NextPeriodicLaunch time.Time
	Warnings           string
}

// JobVersionsResponse answers GET /v1/job/:id/versions.
type JobVersionsResponse struct {
	Versions []*Job
	Diffs    []*JobDiff
}

// JobsParseRequest is the body of POST /v1/jobs/parse.
type JobsParseRequest struct {
	JobHCL       string
	HCLv1        bool `json:"hclv1,omitempty"`
	Variables    string
	Canonicalize bool
}

// ScalingRequest is the body of POST /v1/job/:id/scale.
type ScalingRequest struct {
	Count          *int64
	Target         map[string]string
	Message        string
	Error          bool
	Meta           map[string]any
	PolicyOverride bool
	JobModifyIndex uint64
}

// JobScaleStatusResponse answers GET /v1/job/:id/scale.
type JobScaleStatusResponse struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]TaskGroupScaleStatus
}

// TaskGroupScaleStatus is one group's scale state.
type TaskGroupScaleStatus struct {
	Desired   int
	Placed    int
	Running   int
	Healthy   int
	Unhealthy int
	Events    []ScalingEvent
}

// ScalingEvent records one scaling action.
type ScalingEvent struct {
	Count         *int64
	PreviousCount int64
	Error         bool
	Message       string
	Meta          map[string]any
	EvalID        *string
	Time          uint64
}

// NodeUpdateStatusRequest is the body of a node heartbeat.
type NodeUpdateStatusRequest struct {
	NodeID string
	Status string
}

// NodeUpdateResponse answers node register and heartbeat: how long until
// the next heartbeat is due, and the known servers.
type NodeUpdateResponse struct {
	HeartbeatTTL    time.Duration
	EvalIDs         []string
	EvalCreateIndex uint64
	NodeModifyIndex uint64
	Index           uint64
}

// AllocUpdateRequest is the body a client sends with alloc status changes.
type AllocUpdateRequest struct {
	Alloc []*Allocation
}
