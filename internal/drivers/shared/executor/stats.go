package executor

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// Stats returns a running task's resource use, read by Options.Measure.
// ErrTaskNotFound when the task is not held; an error wrapping
// supervise.ErrExited when it has ended.
func (e *Executor) Stats(ctx context.Context, id string) (*drivers.TaskStats, error) {
	t, err := e.Get(id)
	if err != nil {
		return nil, err
	}
	if t.Ended() {
		return nil, fmt.Errorf("%s: stats of %s: %w", e.opts.Label, id, supervise.ErrExited)
	}
	st, err := e.opts.Measure(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("%s: stats of %s: %w", e.opts.Label, id, err)
	}
	return st, nil
}

// MeasureProcesses reads a task's use from its cgroup (memory controller,
// and cpuacct or cpu.stat, with what the cgroup lacks summed over its
// processes from /proc), or, when the task has no cgroup, summed over its
// process group from /proc; Measured then lists RSS but not Usage or Max
// Usage.
func MeasureProcesses(_ context.Context, t *Task) (*drivers.TaskStats, error) {
	u, err := taskUsage(t.state)
	if err != nil {
		return nil, err
	}
	return statsFromUsage(u), nil
}

// taskUsage reads the use of the task st describes.
func taskUsage(st *supervise.State) (*supervise.Usage, error) {
	if cg := st.Cgroup; cg != nil && cg.Mode != supervise.CgroupNone && len(cg.Dirs) > 0 {
		return cg.Usage()
	}
	return supervise.GroupUsage(st.TaskPID)
}

// statsFromUsage converts the supervisor package's reading.
func statsFromUsage(u *supervise.Usage) *drivers.TaskStats {
	return &drivers.TaskStats{
		Timestamp: u.Time,
		MemoryRSS: u.MemoryRSS, MemoryUsage: u.MemoryUsage, MemoryMaxUsage: u.MemoryMaxUsage,
		CPUTotalNanos: u.CPUTotalNanos, CPUUserNanos: u.CPUUserNanos, CPUSystemNanos: u.CPUSystemNanos,
		Measured: append([]string(nil), u.Measured...),
	}
}
