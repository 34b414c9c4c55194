package taskrunner

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/client/restarts"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/structs"
)

// attempt is how one run of the task ended.
type attempt struct {
	// res is the exit; nil when the task did not start or was lost.
	res *drivers.ExitResult
	// startErr is set when the task did not start (or could not be
	// re-attached).
	startErr error
	// killed: a kill stopped the task; the runner is done.
	killed bool
	// shutdown: the agent is stopping; the task is left as it is.
	shutdown bool
	// restarted: a user asked for a restart; the policy is not consulted.
	restarted bool
}

// Run runs the task until it is dead, or until ctx ends: then it returns
// at once and leaves the task running for the next agent to re-attach.
func (tr *TaskRunner) Run(ctx context.Context) {
	defer close(tr.waitCh)
	if tr.IsDead() {
		return
	}
	recovering := tr.needsRecovery()
	for {
		a := tr.runOnce(ctx, recovering)
		recovering = false
		if a.shutdown || a.killed {
			return
		}
		if a.restarted {
			tr.restartNow()
			continue
		}
		if !tr.afterExit(ctx, a) {
			return
		}
	}
}

// runOnce starts the task (or re-attaches to it) and waits for it to end.
func (tr *TaskRunner) runOnce(ctx context.Context, recovering bool) attempt {
	if ctx.Err() != nil {
		return attempt{shutdown: true}
	}
	if recovering {
		if err := tr.recoverTask(ctx); err != nil {
			if ctx.Err() != nil {
				return attempt{shutdown: true}
			}
			return attempt{startErr: err}
		}
		tr.poststart(ctx)
		return tr.waitTask(ctx)
	}
	if tr.killed() {
		tr.finishKill(nil, "")
		return attempt{killed: true}
	}
	tr.dropRestart()
	if err := tr.setupAndStart(ctx); err != nil {
		if ctx.Err() != nil {
			return attempt{shutdown: true}
		}
		return attempt{startErr: err}
	}
	tr.poststart(ctx)
	return tr.waitTask(ctx)
}

// setupAndStart runs the prestart hooks and starts the task, recording
// a Setup Failure or Driver Failure event when either fails.
func (tr *TaskRunner) setupAndStart(ctx context.Context) error {
	tr.mu.Lock()
	first := !tr.setupDone
	tr.setupDone = true
	tr.mu.Unlock()
	if first {
		tr.EmitEvent(SetupEvent())
	}
	cfg, err := tr.prestart(ctx)
	if err != nil {
		if ctx.Err() == nil {
			tr.EmitEvent(SetupFailureEvent(err))
			metrics.TaskStartFailed()
		}
		return err
	}
	if err := tr.startTask(ctx, cfg); err != nil {
		if ctx.Err() == nil {
			tr.log.Warn("driver failed to start task", "err", err)
			tr.EmitEvent(DriverFailureEvent(err))
			metrics.TaskStartFailed()
		}
		return err
	}
	return nil
}

// waitTask waits for the running task to exit, a kill, or the agent's
// shutdown.
func (tr *TaskRunner) waitTask(ctx context.Context) attempt {
	ch, err := tr.cfg.Driver.WaitTask(ctx, tr.taskID)
	if err != nil {
		res := &drivers.ExitResult{Err: fmt.Errorf("wait for task: %w", err)}
		tr.exited(ctx, res)
		return attempt{res: res}
	}
	select {
	case res, ok := <-ch:
		if !ok || res == nil {
			if ctx.Err() != nil {
				return attempt{shutdown: true}
			}
			res = &drivers.ExitResult{Err: fmt.Errorf("driver %s stopped waiting for the task", tr.cfg.Driver.Name())}
		}
		tr.exited(ctx, res)
		return attempt{res: res}
	case <-tr.killCh:
		tr.killRunning(ctx, ch)
		return attempt{killed: true}
	case <-tr.restartCh:
		return tr.stopForRestart(ctx, ch)
	case <-ctx.Done():
		return attempt{shutdown: true}
	}
}

// exited records the exit and releases the task.
func (tr *TaskRunner) exited(ctx context.Context, res *drivers.ExitResult) {
	tr.log.Info("task exited", "exit_code", res.ExitCode, "signal", res.Signal, "err", res.Err)
	tr.stopHooks(ctx)
	tr.releaseTask(ctx)
	tr.EmitEvent(TerminatedEvent(res))
	if !res.Successful() {
		metrics.TaskExitFailed()
	}
}

// afterExit applies the restart policy; it returns true when the task is
// to start again (after the delay has passed).
func (tr *TaskRunner) afterExit(ctx context.Context, a attempt) bool {
	var d restarts.Decision
	if a.startErr != nil {
		d = tr.restarts.StartFailed(a.startErr)
	} else {
		d = tr.restarts.Exited(a.res)
	}
	switch d.State {
	case structs.TaskTerminated:
		tr.setDead(false)
		return false
	case structs.TaskNotRestarting:
		tr.setDead(true, NotRestartingEvent(d.Reason))
		return false
	}
	tr.updateState(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.Restarts++
		s.LastRestart = time.Now().UTC()
	}, RestartingEvent(d.Delay, d.Reason))
	timer := time.NewTimer(d.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-tr.killCh:
		tr.finishKill(nil, "")
		return false
	case <-ctx.Done():
		return false
	}
}
