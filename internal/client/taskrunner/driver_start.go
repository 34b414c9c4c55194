package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
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
	h, err := drv.StartTask(ctx, cfg)
	if err != nil {
		return err
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
	tr.log.Info("task started", "driver", drv.Name())
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
