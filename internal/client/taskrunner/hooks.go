package taskrunner

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/client/taskenv"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// StartRequest is what the prestart hooks of one start read and fill in:
// they build Config, the driver's task configuration.
type StartRequest struct {
	Alloc    *structs.Allocation
	Task     *structs.Task
	Node     *structs.Node
	Region   string
	HostEnv  map[string]string
	AllocDir *allocdir.AllocDir
	TaskDir  *allocdir.TaskDir
	// Env is set by the env hook; later hooks interpolate with it.
	Env *taskenv.Env
	// Config is the driver's configuration under construction.
	Config *drivers.TaskConfig
}

// PrestartHook is one step run before every start of a task, in order.
// An error fails the start with a Setup Failure event.
type PrestartHook interface {
	Name() string
	Prestart(ctx context.Context, req *StartRequest) error
}

// defaultHooks are the prestart hooks, in order: the environment first,
// as the task config interpolates it.
func defaultHooks() []PrestartHook {
	return []PrestartHook{envHook{}, taskConfigHook{}, logsHook{}}
}

// newStartRequest returns the request for the next start.
func (tr *TaskRunner) newStartRequest() *StartRequest {
	alloc, task := tr.current()
	return &StartRequest{
		Alloc: alloc, Task: task, Node: tr.cfg.Node(), Region: tr.cfg.Region, HostEnv: tr.hostEnv(),
		AllocDir: tr.cfg.AllocDir, TaskDir: tr.cfg.AllocDir.TaskDir(task.Name),
		Config: &drivers.TaskConfig{ID: tr.taskID, Emit: tr.emitDriverEvent},
	}
}

// prestart runs the hooks and returns the driver's configuration.
func (tr *TaskRunner) prestart(ctx context.Context) (*drivers.TaskConfig, error) {
	req := tr.newStartRequest()
	for _, h := range tr.hooks {
		if err := h.Prestart(ctx, req); err != nil {
			return nil, fmt.Errorf("prestart hook %q failed: %w", h.Name(), err)
		}
	}
	return req.Config, nil
}

// TaskRequest is what poststart and stop hooks read: the task as it runs.
type TaskRequest struct {
	Alloc  *structs.Allocation
	Task   *structs.Task
	Node   *structs.Node
	TaskID string
	Driver drivers.Driver
	// Env is the task's environment, for interpolation.
	Env *taskenv.Env
}

// PoststartHook is one step run after the driver started the task or the
// runner re-attached to it. An error is recorded by the hook; the task
// keeps running.
type PoststartHook interface {
	Name() string
	Poststart(ctx context.Context, req *TaskRequest) error
}

// StopHook is one step run when the task stops running: before its kill
// signal (a stop or a restart), after it exited, or when it was lost.
// It is not run when the agent shuts down and leaves the task running.
type StopHook interface {
	Name() string
	Stop(ctx context.Context, req *TaskRequest)
}

// taskRequest returns the request of the poststart and stop hooks.
func (tr *TaskRunner) taskRequest() *TaskRequest {
	sr := tr.newStartRequest()
	_ = envHook{}.Prestart(context.Background(), sr)
	return &TaskRequest{Alloc: sr.Alloc, Task: sr.Task, Node: sr.Node, TaskID: tr.taskID, Driver: tr.cfg.Driver, Env: sr.Env}
}

// poststart runs the poststart hooks; their errors are logged.
func (tr *TaskRunner) poststart(ctx context.Context) {
	if len(tr.poststartHooks) == 0 {
		return
	}
	req := tr.taskRequest()
	for _, h := range tr.poststartHooks {
		if err := h.Poststart(ctx, req); err != nil {
			tr.log.Warn("poststart hook failed", "hook", h.Name(), "err", err)
		}
	}
}

// stopHooks runs the stop hooks.
func (tr *TaskRunner) stopHooks(ctx context.Context) {
	if len(tr.stopHookList) == 0 {
		return
	}
	req := tr.taskRequest()
	for _, h := range tr.stopHookList {
		h.Stop(ctx, req)
	}
}

// hostEnv is the base layer of the task's environment: the client's
// filtered environment for drivers without isolation (raw_exec, as
// Nomad), nothing for image-isolated drivers (pot's jails).
func (tr *TaskRunner) hostEnv() map[string]string {
	if tr.cfg.Driver != nil && !drivers.InheritsHostEnv(tr.cfg.Driver) {
		return nil
	}
	return tr.cfg.HostEnv
}
