package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/structs"
)

// needsRecovery reports whether an earlier agent left the task running:
// a handle was persisted, or the state says running.
func (tr *TaskRunner) needsRecovery() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.handle != nil || tr.state.State == structs.TaskStateRunning
}

// recoverTask re-attaches to a task an earlier agent started, from its
// persisted handle. On failure the task is lost: its handle is forgotten
// and a Driver Failure event says so; the caller applies the restart
// policy.
func (tr *TaskRunner) recoverTask(ctx context.Context) error {
	err := tr.reattach(ctx)
	if err == nil {
		tr.log.Info("re-attached to task left running by an earlier agent")
		if tr.State().State != structs.TaskStateRunning {
			tr.setRunning(nil)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	tr.log.Warn("task lost while the agent was down", "err", err)
	tr.stopHooks(ctx)
	tr.releaseTask(ctx)
	tr.EmitEvent(LostEvent(err))
	return err
}

func (tr *TaskRunner) reattach(ctx context.Context) error {
	h := tr.Handle()
	_, task := tr.current()
	switch {
	case h == nil:
		return errors.New("no driver handle was saved")
	case tr.cfg.Driver == nil:
		return fmt.Errorf("driver %q is not available on this node", task.Driver)
	}
	return tr.cfg.Driver.RecoverTask(ctx, h)
}
