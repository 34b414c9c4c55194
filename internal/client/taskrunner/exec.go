package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
)

// ErrExecNotSupported is returned by Exec and CanExec when the task's
// driver cannot run commands inside its tasks.
var ErrExecNotSupported = errors.New("driver does not support exec")

// CanExec returns nil when Exec may run a command now: the task runs and
// its driver implements drivers.Execer. Otherwise ErrTaskNotRunning or
// ErrExecNotSupported, wrapped with the task's and the driver's names.
func (tr *TaskRunner) CanExec() error {
	_, err := tr.execer()
	return err
}

// Exec runs a command inside the running task through its driver and
// returns the command's exit once it has ended; ctx ending kills the
// command.
func (tr *TaskRunner) Exec(ctx context.Context, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	ex, err := tr.execer()
	if err != nil {
		return nil, err
	}
	res, err := ex.ExecTask(ctx, tr.taskID, opts)
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: %w", tr.cfg.Task.Name, err)
	}
	return res, nil
}

// execer returns the driver as an Execer when the task runs.
func (tr *TaskRunner) execer() (drivers.Execer, error) {
	if tr.cfg.Driver == nil {
		return nil, fmt.Errorf("task %s: %w", tr.cfg.Task.Name, ErrTaskNotRunning)
	}
	ex, ok := tr.cfg.Driver.(drivers.Execer)
	if !ok {
		return nil, fmt.Errorf("task %s: %s %w", tr.cfg.Task.Name, tr.cfg.Driver.Name(), ErrExecNotSupported)
	}
	if err := tr.checkRunning(); err != nil {
		return nil, err
	}
	return ex, nil
}
