package taskrunner

import (
	"context"

	"github.com/wharf-project/wharf/internal/client/services"
	"github.com/wharf-project/wharf/internal/structs"
)

// ServiceRegistrar registers the services of running tasks and runs their
// checks (services.Manager).
type ServiceRegistrar interface {
	RegisterWorkload(ctx context.Context, w *services.Workload) error
	DeregisterWorkload(w *services.Workload)
}

var _ ServiceRegistrar = (*services.Manager)(nil)

// servicesHook registers the task's services (and the group services it
// owns) once the task runs, and removes them before it is signalled to
// stop or after it exited, so the catalog stops sending traffic first.
type servicesHook struct {
	services ServiceRegistrar
	target   *TaskRunner
}

var (
	_ PoststartHook = (*servicesHook)(nil)
	_ StopHook      = (*servicesHook)(nil)
)

// Name names the hook.
func (*servicesHook) Name() string { return "services" }

// Poststart registers the services; the manager records a task event for
// each service it cannot register.
func (h *servicesHook) Poststart(ctx context.Context, req *TaskRequest) error {
	return h.services.RegisterWorkload(ctx, h.workload(req))
}

// Stop deregisters the services and stops their checks.
func (h *servicesHook) Stop(_ context.Context, req *TaskRequest) {
	h.services.DeregisterWorkload(h.workload(req))
}

func (h *servicesHook) workload(req *TaskRequest) *services.Workload {
	w := &services.Workload{Alloc: req.Alloc, Task: req.Task, Node: req.Node, TaskID: req.TaskID,
		Driver: req.Driver, Target: (*checkTarget)(h.target)}
	if req.Env != nil {
		w.Interpolate = req.Env.Replace
	}
	return w
}

// checkTarget is the task runner as the target of its checks' events and
// restarts.
type checkTarget TaskRunner

var _ services.Target = (*checkTarget)(nil)

// EmitEvent records a task event.
func (t *checkTarget) EmitEvent(e *structs.TaskEvent) { (*TaskRunner)(t).EmitEvent(e) }

// RestartUnhealthy restarts the running task as a user restart does,
// recording e (Restart Signaled, "healthcheck: check X unhealthy").
func (t *checkTarget) RestartUnhealthy(e *structs.TaskEvent) error {
	tr := (*TaskRunner)(t)
	if err := tr.checkRunning(); err != nil {
		return err
	}
	tr.EmitEvent(e)
	select {
	case tr.restartCh <- struct{}{}:
	default: // a restart is already pending
	}
	return nil
}
