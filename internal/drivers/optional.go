package drivers

import (
	"context"
	"io"
	"time"
)

// Execer is implemented by drivers that can run a command inside a
// running task (`wharf alloc exec`, the exec websocket).
type Execer interface {
	// ExecTask runs opts.Command in the task's environment (inside its
	// jail for pot) and returns when the command has exited, with its
	// exit code. ctx ending kills the command. ErrTaskNotFound when the
	// task is not held; an error naming the command when it cannot run.
	ExecTask(ctx context.Context, taskID string, opts *ExecOptions) (*ExitResult, error)
}

// ExecOptions describe one exec session.
type ExecOptions struct {
	// Command is the program and its arguments; the program is looked up
	// in the task's PATH.
	Command []string
	// Tty runs the command on a pseudo-terminal; Stdout then receives the
	// terminal's output and Stderr is unused.
	Tty bool
	// Stdin, when nil, gives the command an empty stdin. Its EOF closes
	// the command's stdin (or sends ^D on a terminal).
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Resize receives terminal size changes (Tty only); it may be nil.
	Resize <-chan TerminalSize
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}

// Stater is implemented by drivers that report a running task's resource
// use.
type Stater interface {
	// TaskStats returns the task's current use. ErrTaskNotFound when the
	// task is not held.
	TaskStats(ctx context.Context, taskID string) (*TaskStats, error)
}

// TaskStats is a task's resource use at one time.
type TaskStats struct {
	Timestamp time.Time
	// Memory in bytes: RSS, total usage (cache included) and the peak
	// usage, as the cgroup reports them; MaxUsage is 0 when unknown.
	MemoryRSS      uint64
	MemoryUsage    uint64
	MemoryMaxUsage uint64
	// CPUTotalNanos is the task's CPU time since it started (user plus
	// system); UserNanos and SystemNanos split it when known.
	CPUTotalNanos  uint64
	CPUUserNanos   uint64
	CPUSystemNanos uint64
	// Measured lists what the numbers come from, e.g. "RSS", "Cache",
	// "Total Ticks" (Nomad's names).
	Measured []string
}

// Reconciler is implemented by drivers that hold node-wide resources
// (jail networks, mounts, runtime state) which a crashed agent may leave
// behind. The client calls Reconcile once at start, after reading its
// stored allocations and before starting any task.
type Reconciler interface {
	// Reconcile releases everything the driver finds on the node that
	// belongs to no task in live (keyed by TaskConfig.ID) and returns a
	// description of each thing it removed.
	Reconcile(ctx context.Context, live map[string]bool) ([]string, error)
}
