package taskrunner

import (
	"context"
	"errors"
	"slices"

	"github.com/wharf-project/wharf/internal/structs"
)

// taskConfigHook fills the driver's configuration from the task and its
// allocation: identity, interpolated driver config, user, the resources
// the scheduler reserved, directories and ports.
type taskConfigHook struct{}

var _ PrestartHook = taskConfigHook{}

// Name names the hook.
func (taskConfigHook) Name() string { return "task_config" }

// Prestart fills req.Config; it needs req.Env.
func (taskConfigHook) Prestart(_ context.Context, req *StartRequest) error {
	if req.Env == nil {
		return errors.New("task environment not built")
	}
	c, a, t := req.Config, req.Alloc, req.Task
	c.AllocID, c.JobID, c.TaskGroupName, c.TaskName = a.ID, a.JobID, a.TaskGroup, t.Name
	c.Config = req.Env.ReplaceConfig(t.Config)
	c.User = t.User
	c.AllocDir, c.TaskDir = req.AllocDir.Dir, req.TaskDir.Dir
	c.CPUShares, c.MemoryMB, c.MemoryMaxMB = taskLimits(a, t)
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil && tg.EphemeralDisk != nil {
			c.DiskMB = int64(tg.EphemeralDisk.SizeMB)
		}
	}
	if a.AllocatedResources != nil {
		c.Ports = slices.Clone(a.AllocatedResources.Shared.Ports)
	}
	return nil
}

// taskLimits are the task's CPU and memory: what the scheduler reserved,
// else what the task asked for.
func taskLimits(a *structs.Allocation, t *structs.Task) (cpu, mem, memMax int64) {
	if a.AllocatedResources != nil {
		if tr := a.AllocatedResources.Tasks[t.Name]; tr != nil {
			return tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB
		}
	}
	if r := t.Resources; r != nil {
		return int64(r.CPU), int64(r.MemoryMB), int64(r.MemoryMaxMB)
	}
	return 0, 0, 0
}
