package rawexec

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

var _ drivers.Stater = (*Driver)(nil)

// TaskStats returns a running task's resource use: read from its cgroup
// (memory controller, and cpuacct or cpu.stat, with what the cgroup lacks
// summed over its processes from /proc), or, when the task has no cgroup,
// summed over its process group from /proc; Measured then lists RSS but
// not Usage or Max Usage. ErrTaskNotFound when the task is not held; an
// error wrapping supervise.ErrExited when it has ended.
func (d *Driver) TaskStats(_ context.Context, id string) (*drivers.TaskStats, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	if t.isDone() {
		return nil, fmt.Errorf("raw_exec: stats of %s: %w", id, supervise.ErrExited)
	}
	u, err := taskUsage(t.state)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: stats of %s: %w", id, err)
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
