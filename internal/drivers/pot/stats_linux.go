package pot

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
)

// TaskStats returns the jail's memory and CPU use as runc reports it from
// the container's cgroup. ErrTaskNotFound when the task is not held; an
// error wrapping supervise.ErrExited when it has ended.
func (d *Driver) TaskStats(ctx context.Context, id string) (*drivers.TaskStats, error) {
	return d.core.Stats(ctx, id)
}

// measure reads a jail's use for the core.
func (d *Driver) measure(ctx context.Context, t *executor.Task) (*drivers.TaskStats, error) {
	j, err := jailOf(t)
	if err != nil {
		return nil, err
	}
	u, err := d.runtime().Stats(ctx, j.ContainerID)
	if err != nil {
		return nil, err
	}
	return &drivers.TaskStats{
		Timestamp: time.Now(), MemoryRSS: u.MemoryRSS, MemoryUsage: u.MemoryUsage,
		MemoryMaxUsage: u.MemoryMaxUsage, CPUTotalNanos: u.CPUTotal, CPUUserNanos: u.CPUUser,
		CPUSystemNanos: u.CPUKernel,
		Measured:       []string{"RSS", "Usage", "Max Usage", "Total Ticks", "User Mode", "System Mode"},
	}, nil
}
