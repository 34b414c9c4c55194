package structs

import (
	"fmt"
	"time"
)

// Allocation desired statuses (set by servers).
const (
	AllocDesiredStatusRun   = "run"
	AllocDesiredStatusStop  = "stop"
	AllocDesiredStatusEvict = "evict"
)

// Allocation client statuses (set by the node running it, or by servers
// when the node is lost).
const (
	AllocClientStatusPending  = "pending"
	AllocClientStatusRunning  = "running"
	AllocClientStatusComplete = "complete"
	AllocClientStatusFailed   = "failed"
	AllocClientStatusLost     = "lost"
	AllocClientStatusUnknown  = "unknown"
)

// Allocation is one placed copy of a task group on a node.
type Allocation struct {
	ID                 string
	Namespace          string
	EvalID             string
	Name               string
	NodeID             string
	NodeName           string
	JobID              string
	JobVersion         uint64
	Job                *Job `json:",omitempty"`
	TaskGroup          string
	AllocatedResources *AllocatedResources
	Metrics            *AllocMetric `json:",omitempty"`
	DesiredStatus      string
	DesiredDescription string
	DesiredTransition  DesiredTransition
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState
	FollowupEvalID     string
	PreviousAllocation string
	NextAllocation     string
	RescheduleTracker  *RescheduleTracker
	CreateIndex        uint64
	ModifyIndex        uint64
	AllocModifyIndex   uint64
	CreateTime         int64
	ModifyTime         int64
}

// DesiredTransition marks an allocation for a transition the scheduler acts on.
type DesiredTransition struct {
	Migrate         *bool `json:",omitempty"`
	Reschedule      *bool `json:",omitempty"`
	ForceReschedule *bool `json:",omitempty"`
}

// AllocatedResources is what the scheduler reserved for an allocation.
type AllocatedResources struct {
	Tasks  map[string]*AllocatedTaskResources
	Shared AllocatedSharedResources
}

// AllocatedTaskResources is what one task of an allocation got.
type AllocatedTaskResources struct {
	Cpu      AllocatedCpuResources
	Memory   AllocatedMemoryResources
	Networks []*NetworkResource
}

// AllocatedCpuResources is CPU in MHz shares.
type AllocatedCpuResources struct {
	CpuShares int64
}

// AllocatedMemoryResources is memory in MB.
type AllocatedMemoryResources struct {
	MemoryMB    int64
	MemoryMaxMB int64
}

// AllocatedSharedResources is what all tasks of an allocation share: disk,
// the group network and its ports.
type AllocatedSharedResources struct {
	DiskMB   int64
	Networks []*NetworkResource
	Ports    []PortMapping
}

// PortMapping is one assigned port: host port Value on HostIP, forwarded to
// To inside the allocation.
type PortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

// Comparable sums the CPU and memory an allocation uses.
func (a *AllocatedResources) Comparable() (cpu, memMB int64) {
	if a == nil {
		return 0, 0
	}
	for _, t := range a.Tasks {
		cpu += t.Cpu.CpuShares
		memMB += t.Memory.MemoryMB
	}
	return cpu, memMB
}

// TaskState is the client's view of one task.
type TaskState struct {
	State       string
	Failed      bool
	Restarts    uint64
	LastRestart time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Events      []*TaskEvent
}

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// Task event types, as Nomad names them.
const (
	TaskSetup         = "Task Setup"
	TaskSetupFailure  = "Setup Failure"
	TaskDriverFailure = "Driver Failure"
	TaskDriverMessage = "Driver"
	TaskReceived      = "Received"
	TaskStarted       = "Started"
	TaskTerminated    = "Terminated"
	TaskKilling       = "Killing"
	TaskKilled        = "Killed"
	TaskRestarting    = "Restarting"
	TaskNotRestarting = "Not Restarting"
	TaskSiblingFailed = "Sibling Task Failed"
	TaskSignaling     = "Signaling"
)

// TaskEvent is one thing that happened to a task.
type TaskEvent struct {
	Type           string
	Time           int64
	DisplayMessage string
	Details        map[string]string
	Message        string
	FailsTask      bool
	RestartReason  string
	SetupError     string
	DriverError    string
	DriverMessage  string
	ExitCode       int
	Signal         int
	KillReason     string
	KillTimeout    time.Duration
	KillError      string
	StartDelay     int64
}

// RescheduleTracker records earlier reschedules of an allocation's lineage.
type RescheduleTracker struct {
	Events []*RescheduleEvent
}

// RescheduleEvent is one reschedule.
type RescheduleEvent struct {
	RescheduleTime int64
	PrevAllocID    string
	PrevNodeID     string
	Delay          time.Duration
}

// AllocMetric explains a placement: how many nodes were looked at, why they
// were filtered or exhausted, and the scores of the best.
type AllocMetric struct {
	NodesEvaluated     int
	NodesFiltered      int
	NodesInPool        int
	NodesAvailable     map[string]int
	ClassFiltered      map[string]int
	ConstraintFiltered map[string]int
	NodesExhausted     int
	ClassExhausted     map[string]int
	DimensionExhausted map[string]int
	QuotaExhausted     []string
	Scores             map[string]float64
	AllocationTime     time.Duration
	CoalescedFailures  int
}

// AllocListStub is the list form of an allocation.
type AllocListStub struct {
	ID                 string
	EvalID             string
	Name               string
	Namespace          string
	NodeID             string
	NodeName           string
	JobID              string
	JobType            string
	JobVersion         uint64
	TaskGroup          string
	AllocatedResources *AllocatedResources `json:",omitempty"`
	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState
	FollowupEvalID     string
	NextAllocation     string
	RescheduleTracker  *RescheduleTracker
	CreateIndex        uint64
	ModifyIndex        uint64
	CreateTime         int64
	ModifyTime         int64
}

// Stub returns the list form; jobType comes from the allocation's job.
func (a *Allocation) Stub(jobType string) *AllocListStub {
	return &AllocListStub{
		ID: a.ID, EvalID: a.EvalID, Name: a.Name, Namespace: a.Namespace,
		NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, JobType: jobType,
		JobVersion: a.JobVersion, TaskGroup: a.TaskGroup,
		AllocatedResources: a.AllocatedResources,
		DesiredStatus:      a.DesiredStatus, DesiredDescription: a.DesiredDescription,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
		TaskStates: a.TaskStates, FollowupEvalID: a.FollowupEvalID,
		NextAllocation: a.NextAllocation, RescheduleTracker: a.RescheduleTracker,
		CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
		CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
	}
}

// ServerTerminalStatus reports whether the servers want the allocation stopped.
func (a *Allocation) ServerTerminalStatus() bool {
	return a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict
}

// ClientTerminalStatus reports whether the allocation will not run again.
func (a *Allocation) ClientTerminalStatus() bool {
	switch a.ClientStatus {
	case AllocClientStatusComplete, AllocClientStatusFailed, AllocClientStatusLost:
		return true
	}
	return false
}

// TerminalStatus reports whether the allocation no longer holds resources.
func (a *Allocation) TerminalStatus() bool {
	return a.ServerTerminalStatus() || a.ClientTerminalStatus()
}

// Copy returns a copy that can be changed without touching a; nested task
// states and resources are shared, as they are replaced, never mutated.
func (a *Allocation) Copy() *Allocation {
	if a == nil {
		return nil
	}
	c := *a
	if a.TaskStates != nil {
		c.TaskStates = make(map[string]*TaskState, len(a.TaskStates))
		for k, v := range a.TaskStates {
			c.TaskStates[k] = v
		}
	}
	return &c
}

// AllocName is the allocation name Nomad uses: job.group[index].
func AllocName(job, group string, index int) string {
	return fmt.Sprintf("%s.%s[%d]", job, group, index)
}

// Index returns the index in an allocation name, or -1.
func (a *Allocation) Index() int {
	var idx int
	i := len(a.Name) - 1
	if i < 0 || a.Name[i] != ']' {
		return -1
	}
	j := i - 1
	for j >= 0 && a.Name[j] != '[' {
		j--
	}
	if j < 0 {
		return -1
	}
	if _, err := fmt.Sscanf(a.Name[j+1:i], "%d", &idx); err != nil {
		return -1
	}
	return idx
}
