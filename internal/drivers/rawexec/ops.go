package rawexec

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
)

// WaitTask returns a channel that yields the task's exit once it has
// ended, then closes; it closes without a value when ctx ends first.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	return d.core.Wait(ctx, id)
}

// StopTask sends signal (SIGTERM when empty) to the task and, if it has
// not exited after timeout, kills its whole process tree; it returns once
// the task has ended. Stopping an ended task does nothing.
func (d *Driver) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	return d.core.Stop(ctx, id, timeout, signal)
}

// DestroyTask releases the task: with force it kills a running task
// first (without force a running task is an error). It makes sure no
// process or cgroup of the task is left and removes its state directory.
// Log files stay (they belong to the allocation directory).
func (d *Driver) DestroyTask(ctx context.Context, id string, force bool) error {
	return d.core.Destroy(ctx, id, force)
}

// InspectTask returns the task's state.
func (d *Driver) InspectTask(ctx context.Context, id string) (*drivers.TaskStatus, error) {
	return d.core.Inspect(ctx, id)
}

// SignalTask sends a signal ("SIGHUP", "HUP", "1"...) to the task's main
// process. It is an error when the task has ended.
func (d *Driver) SignalTask(ctx context.Context, id string, signal string) error {
	return d.core.Signal(ctx, id, signal)
}

// TaskStats returns a running task's resource use: read from its cgroup
// (memory controller, and cpuacct or cpu.stat, with what the cgroup lacks
// summed over its processes from /proc), or, when the task has no cgroup,
// summed over its process group from /proc; Measured then lists RSS but
// not Usage or Max Usage. ErrTaskNotFound when the task is not held; an
// error wrapping supervise.ErrExited when it has ended.
func (d *Driver) TaskStats(ctx context.Context, id string) (*drivers.TaskStats, error) {
	return d.core.Stats(ctx, id)
}
