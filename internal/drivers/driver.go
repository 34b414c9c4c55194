// Package drivers is the contract between the client's task runner and the
// task drivers (raw_exec, pot, ...): the Driver interface, the task
// configuration a driver receives, the handle it returns so a restarted
// agent can recover the task, and a fake driver for tests. Every driver
// passes the conformance suite in drivers/driverstest.
//
// drivers must never import internal/client, internal/server or
// internal/state.
package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// Errors drivers return that callers branch on.
var (
	// ErrTaskNotFound: the driver holds no task with that ID.
	ErrTaskNotFound = errors.New("task not found")
	// ErrDisabled: the driver is not enabled on this node.
	ErrDisabled = errors.New("driver disabled")
)

// Driver runs tasks of one kind.
type Driver interface {
	// Name is the name jobs use in `driver = "..."`.
	Name() string
	// Fingerprint reports whether the driver works on this node, its
	// health and attributes (e.g. "driver.raw_exec" = "1").
	Fingerprint(ctx context.Context) *structs.DriverInfo
	// StartTask starts a task and returns its handle. Errors carry the OS
	// or runtime's own text: the task runner shows them verbatim in the
	// Driver Failure event.
	StartTask(ctx context.Context, cfg *TaskConfig) (*TaskHandle, error)
	// RecoverTask re-attaches to a task started by an earlier agent from
	// its handle. ErrTaskNotFound when the task is gone.
	RecoverTask(ctx context.Context, h *TaskHandle) error
	// WaitTask returns a channel that yields the task's exit once, when it
	// exits (immediately if it has already exited).
	WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error)
	// StopTask sends signal (SIGTERM when empty) and, if the task has not
	// exited after timeout, kills its whole process tree.
	StopTask(ctx context.Context, taskID string, timeout time.Duration, signal string) error
	// DestroyTask releases everything the task held (processes, cgroups,
	// supervisor); with force it kills a running task first.
	DestroyTask(ctx context.Context, taskID string, force bool) error
	// InspectTask returns the task's current status.
	InspectTask(ctx context.Context, taskID string) (*TaskStatus, error)
	// SignalTask sends a signal (e.g. "SIGHUP") to the task.
	SignalTask(ctx context.Context, taskID string, signal string) error
}

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	// ID identifies the task on this node: "<allocID>/<taskName>".
	ID            string
	AllocID       string
	JobID         string
	TaskGroupName string
	TaskName      string
	// Config is the task's driver config block.
	Config map[string]any
	// Env is the complete environment (NOMAD_* variables included).
	Env  map[string]string
	User string
	// Resources are what the scheduler reserved for the task.
	CPUShares   int64
	MemoryMB    int64
	MemoryMaxMB int64
	// DiskMB is the group's ephemeral_disk size; drivers that bound a
	// task's disk (pot) stop the task once it writes more.
	DiskMB int64
	// AllocDir is the allocation's directory; TaskDir the task's own
	// (working directory of the task), both on the host.
	AllocDir string
	TaskDir  string
	// LogDir receives <task>.stdout.N and <task>.stderr.N, rotated per
	// LogMaxFiles and LogMaxFileSizeMB (Nomad's names and layout).
	LogDir           string
	LogMaxFiles      int
	LogMaxFileSizeMB int
	// Ports are the allocation's port mappings.
	Ports []structs.PortMapping
	// Emit, when set, receives what the driver reports while it starts
	// the task (e.g. image download progress) as task events of type typ.
	// It is not persisted with the handle.
	Emit func(typ, message string) `json:"-"`
}

// Event types drivers pass to TaskConfig.Emit.
const (
	// EventDownloading reports image download progress (bytes, rate).
	EventDownloading = "Downloading Artifacts"
	// EventDriver is any other message from the driver.
	EventDriver = "Driver"
)

// EmitEvent calls cfg.Emit when it is set.
func (cfg *TaskConfig) EmitEvent(typ, message string) {
	if cfg != nil && cfg.Emit != nil {
		cfg.Emit(typ, message)
	}
}

// TaskHandle is what a driver returns from StartTask and what the client
// persists so a new agent can RecoverTask.
type TaskHandle struct {
	// Version of the handle format.
	Version int
	Driver  string
	Config  *TaskConfig
	State   string
	// DriverState is the driver's own re-attach data (e.g. a supervisor's
	// PID and socket path).
	DriverState json.RawMessage
	StartedAt   time.Time
}

// Task states reported by InspectTask.
const (
	TaskStateUnknown = "unknown"
	TaskStateRunning = "running"
	TaskStateExited  = "exited"
)

// TaskStatus is a task's state.
type TaskStatus struct {
	ID          string
	State       string
	StartedAt   time.Time
	CompletedAt time.Time
	ExitResult  *ExitResult
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int
	Signal    int
	OOMKilled bool
	// Err is set when the driver lost the task (e.g. its supervisor was
	// killed): the task's fate is unknown.
	Err error
}

// Successful reports whether the task exited with code 0 and no signal.
func (r *ExitResult) Successful() bool {
	return r != nil && r.ExitCode == 0 && r.Signal == 0 && r.Err == nil && !r.OOMKilled
}
