package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// ErrTaskNotRunning is returned by Restart and Signal for a task that is
// not running (pending, waiting to restart, or dead).
var ErrTaskNotRunning = errors.New("task not running")

// Event types of user actions, as Nomad names them.
const (
	// TaskRestartSignal is the event of a restart asked by a user.
	TaskRestartSignal = "Restart Signaled"
)

// ReasonUserRestart is the restart reason of a restart asked by a user.
const ReasonUserRestart = "User requested restart"

// RestartSignaledEvent records a restart asked by a user.
func RestartSignaledEvent() *structs.TaskEvent {
	e := newEvent(TaskRestartSignal, ReasonUserRestart)
	e.RestartReason = ReasonUserRestart
	e.Details["restart_reason"] = ReasonUserRestart
	return e
}

// SignalingEvent records a signal sent to the task by a user.
func SignalingEvent(signal string) *structs.TaskEvent {
	e := newEvent(structs.TaskSignaling, "Task being sent a signal")
	e.Details["signal"] = signal
	e.Details["signal_reason"] = "User requested signal"
	return e
}

// Restart stops the running task (its kill signal, then the driver's kill
// after its kill timeout) and starts it again at once. The restart does not
// count against the restart policy. It records a Restart Signaled event and
// returns without waiting for the new start; ErrTaskNotRunning when the
// task does not run.
func (tr *TaskRunner) Restart() error {
	if err := tr.checkRunning(); err != nil {
		return err
	}
	tr.EmitEvent(RestartSignaledEvent())
	select {
	case tr.restartCh <- struct{}{}:
	default: // a restart is already pending
	}
	return nil
}

// Signal sends signal (e.g. "SIGHUP") to the running task through its
// driver, recording a Signaling event first.
func (tr *TaskRunner) Signal(ctx context.Context, signal string) error {
	if err := tr.checkRunning(); err != nil {
		return err
	}
	if tr.cfg.Driver == nil {
		return ErrTaskNotRunning
	}
	tr.EmitEvent(SignalingEvent(signal))
	if err := tr.cfg.Driver.SignalTask(ctx, tr.taskID, signal); err != nil {
		return fmt.Errorf("signal task %s: %w", tr.cfg.Task.Name, err)
	}
	return nil
}

// checkRunning returns ErrTaskNotRunning unless the task runs.
func (tr *TaskRunner) checkRunning() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.state.State != structs.TaskStateRunning || tr.handle == nil || tr.killed() {
		return fmt.Errorf("task %s: %w", tr.cfg.Task.Name, ErrTaskNotRunning)
	}
	return nil
}

// dropRestart forgets a restart asked before the task (re)starts: it was
// meant for a run that already ended.
func (tr *TaskRunner) dropRestart() {
	select {
	case <-tr.restartCh:
	default:
	}
}

// stopForRestart stops the running task for a user restart and waits for
// its exit; ch yields it.
func (tr *TaskRunner) stopForRestart(ctx context.Context, ch <-chan *drivers.ExitResult) attempt {
	res, _, shutdown := tr.stopAndWait(ctx, ch, "restarting task on request")
	if shutdown {
		return attempt{shutdown: true}
	}
	tr.releaseTask(ctx)
	tr.EmitEvent(TerminatedEvent(res))
	return attempt{res: res, restarted: true}
}

// restartNow marks the task restarting with no delay, outside the policy.
func (tr *TaskRunner) restartNow() {
	tr.updateState(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.Restarts++
		s.LastRestart = time.Now().UTC()
	}, RestartingEvent(0, ReasonUserRestart))
}
