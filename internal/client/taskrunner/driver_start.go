package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/metrics"
)

// startTask asks the driver to start the task, persists the handle it
// returns and marks the task running. The driver's error is returned as
// it is: the caller shows it verbatim in a Driver Failure event.
func (tr *TaskRunner) startTask(ctx context.Context, cfg *drivers.TaskConfig) error {
	_, task := tr.current()
	drv := tr.cfg.Driver
	if drv == nil {
		return fmt.Errorf("driver %q is not available on this node", task.Driver)
	}
	h := tr.adoptOrphan(ctx, drv, cfg)
	if h == nil {
		var err error
		if h, err = drv.StartTask(ctx, cfg); err != nil {
			return err
		}
	}
	if h == nil {
		return fmt.Errorf("driver %q returned no task handle", drv.Name())
	}
	tr.mu.Lock()
	tr.handle = h
	tr.mu.Unlock()
	if err := tr.cfg.DB.PutTaskHandle(tr.cfg.Alloc.ID, tr.cfg.Task.Name, h); err != nil {
		tr.log.Warn("persist task handle: a restarted agent will not find this task", "err", err)
	}
	tr.setRunning(StartedEvent())
	metrics.TaskStarted()
	tr.log.Info("task started", "driver", drv.Name())
	return nil
}

// adoptOrphan returns a handle on a copy of this task that an agent which
// died before saving its handle left running, so that it is adopted rather
// than started twice. A copy that has exited is released. nil when there is
// none (or the driver cannot find tasks by ID).
func (tr *TaskRunner) adoptOrphan(ctx context.Context, drv drivers.Driver, cfg *drivers.TaskConfig) *drivers.TaskHandle {
	h := &drivers.TaskHandle{Version: 1, Driver: drv.Name(), Config: cfg, State: drivers.TaskStateRunning}
	if err := drv.RecoverTask(ctx, h); err != nil {
		return nil
	}
	st, err := drv.InspectTask(ctx, cfg.ID)
	if err == nil && st.State == drivers.TaskStateRunning {
		tr.log.Info("adopted a copy of the task left running by an agent that died before saving it")
		h.StartedAt = st.StartedAt
		return h
	}
	if err := drv.DestroyTask(ctx, cfg.ID, true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.log.Warn("release an exited copy of the task", "err", err)
	}
	return nil
}

// releaseTask tells the driver to free what the exited task held and
// forgets its handle.
func (tr *TaskRunner) releaseTask(ctx context.Context) {
	if drv := tr.cfg.Driver; drv != nil {
		err := drv.DestroyTask(ctx, tr.taskID, false)
		if err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
			tr.log.Warn("destroy task; forcing", "err", err)
			if err := drv.DestroyTask(ctx, tr.taskID, true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
				tr.log.Error("force destroy task", "err", err)
			}
		}
	}
	tr.mu.Lock()
	tr.handle = nil
	tr.mu.Unlock()
	if err := tr.cfg.DB.DeleteTaskHandle(tr.cfg.Alloc.ID, tr.cfg.Task.Name); err != nil {
		tr.log.Warn("forget task handle", "err", err)
	}
}
