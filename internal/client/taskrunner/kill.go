package taskrunner

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// exitGrace is how long after its kill timeout a stopped task's exit is
// awaited before the runner moves on.
const exitGrace = 5 * time.Second

// Kill stops the task for good and waits until the runner is done or ctx
// ends. ev is recorded at once (Killing for a stop, Sibling Task Failed
// when a sibling failed); nil means Killing with the task's kill
// timeout. Killing a dead task does nothing.
func (tr *TaskRunner) Kill(ctx context.Context, ev *structs.TaskEvent) error {
	tr.killOnce.Do(func() {
		if !tr.IsDead() {
			if ev == nil {
				_, task := tr.current()
				ev = KillingEvent(killTimeout(task))
			}
			tr.EmitEvent(ev)
		}
		close(tr.killCh)
	})
	select {
	case <-tr.waitCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func killTimeout(t *structs.Task) time.Duration {
	if t.KillTimeout > 0 {
		return t.KillTimeout
	}
	return structs.DefaultKillTimeout
}

// killRunning stops the running task: its kill signal, then, after its
// kill timeout, the driver kills it. ch yields its exit.
func (tr *TaskRunner) killRunning(ctx context.Context, ch <-chan *drivers.ExitResult) {
	res, killErr, _ := tr.stopAndWait(ctx, ch, "stopping task")
	tr.releaseTask(ctx)
	tr.finishKill(res, killErr)
}

// stopAndWait sends the task its kill signal (the driver kills it after
// the kill timeout; if stopping fails the task is destroyed) and waits for
// its exit on ch, at most the kill timeout plus a grace. It returns the
// exit (nil if none came), the stop errors' text, and whether ctx ended
// first.
func (tr *TaskRunner) stopAndWait(ctx context.Context, ch <-chan *drivers.ExitResult, why string) (*drivers.ExitResult, string, bool) {
	_, task := tr.current()
	timeout := killTimeout(task)
	tr.log.Info(why, "signal", task.KillSignal, "kill_timeout", timeout)
	tr.stopHooks(ctx)
	killErr := ""
	if err := tr.cfg.Driver.StopTask(ctx, tr.taskID, timeout, task.KillSignal); err != nil {
		killErr = err.Error()
		tr.log.Warn(why+": stop failed; destroying the task", "err", err)
		if err := tr.cfg.Driver.DestroyTask(ctx, tr.taskID, true); err != nil {
			killErr += "; " + err.Error()
		}
	}
	timer := time.NewTimer(timeout + exitGrace)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res, killErr, false
	case <-timer.C:
		return nil, killErr, false
	case <-ctx.Done():
		return nil, killErr, true
	}
}

// finishKill records the end of a kill: Terminated when the task was
// running, then Killed, and the task dead (not failed).
func (tr *TaskRunner) finishKill(res *drivers.ExitResult, killErr string) {
	var term *structs.TaskEvent
	if res != nil {
		term = TerminatedEvent(res)
	}
	tr.setDead(false, term, KilledEvent(killErr))
}
