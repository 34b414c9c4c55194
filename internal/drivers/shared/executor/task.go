package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// lostCleanupTimeout bounds the cleanup after a supervisor died.
const lostCleanupTimeout = 10 * time.Second

// Task is a task the executor holds: started by it, or recovered.
type Task struct {
	cfg    *drivers.TaskConfig
	data   any
	state  *supervise.State
	client supervise.Client
	// exited is closed when the supervisor exits, when this driver
	// launched it (nil for a recovered task).
	exited <-chan struct{}

	mu          sync.Mutex
	done        chan struct{}
	result      *drivers.ExitResult
	completedAt time.Time
}

func newTask(cfg *drivers.TaskConfig, st *supervise.State, exited <-chan struct{}, data any) *Task {
	return &Task{cfg: cfg, data: data, state: st, client: supervise.Client{Dir: st.Dir}, exited: exited,
		done: make(chan struct{})}
}

// Config is the task's configuration.
func (t *Task) Config() *drivers.TaskConfig { return t.cfg }

// State is what the task's supervisor recorded.
func (t *Task) State() *supervise.State { return t.state }

// Data is the driver's own record of the task, as given to Start or
// Recover.
func (t *Task) Data() any { return t.data }

// Done is closed once the task has ended.
func (t *Task) Done() <-chan struct{} { return t.done }

// watch follows the task until it ends: it waits on the supervisor's
// socket and, when the connection breaks, reads the recorded exit or, if
// the supervisor died without one, cleans up and reports it lost.
func (t *Task) watch() {
	retry := backoff.Backoff{Min: 10 * time.Millisecond, Max: time.Second, NoJitter: true}
	for {
		ex, err := t.client.Wait(context.Background())
		if err == nil {
			t.finish(exitResult(ex), ex.FinishedAt)
			return
		}
		if ex, err := supervise.ReadExit(t.state.Dir); err == nil {
			t.finish(exitResult(ex), ex.FinishedAt)
			return
		}
		if !t.supervisorAlive() {
			// The exit may have been recorded just before the end.
			if ex, err := supervise.ReadExit(t.state.Dir); err == nil {
				t.finish(exitResult(ex), ex.FinishedAt)
				return
			}
			t.finish(t.lost(), time.Now())
			return
		}
		time.Sleep(retry.Next())
	}
}

// supervisorAlive reports whether the task's supervisor still runs.
func (t *Task) supervisorAlive() bool {
	if t.exited != nil {
		select {
		case <-t.exited:
			return false
		default:
		}
	}
	return supervise.SupervisorAlive(t.state)
}

// lost cleans up after a supervisor that died without recording the
// task's exit, and says what happened.
func (t *Task) lost() *drivers.ExitResult {
	st := t.state
	running := supervise.Alive(st.TaskPID, st.TaskStart)
	ctx, cancel := context.WithTimeout(context.Background(), lostCleanupTimeout)
	defer cancel()
	cleanupErr := supervise.Cleanup(ctx, st)
	what := fmt.Sprintf("task pid %d had already exited; its tree was cleaned up", st.TaskPID)
	if running {
		what = fmt.Sprintf("task pid %d was still running and was killed with its process tree", st.TaskPID)
	}
	msg := fmt.Sprintf("supervisor died: supervisor pid %d exited without recording the task's exit; %s", st.SupervisorPID, what)
	if cleanupErr != nil {
		msg += fmt.Sprintf(" (cleanup: %v)", cleanupErr)
	}
	return &drivers.ExitResult{Err: errors.New(msg)}
}

// finish records the task's end once.
func (t *Task) finish(r *drivers.ExitResult, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.result != nil {
		return
	}
	t.result, t.completedAt = r, at
	close(t.done)
}

// Ended reports whether the task has ended.
func (t *Task) Ended() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// status returns the task's state.
func (t *Task) status() *drivers.TaskStatus {
	st := &drivers.TaskStatus{ID: t.cfg.ID, State: drivers.TaskStateRunning, StartedAt: t.state.StartedAt}
	if t.Ended() {
		t.mu.Lock()
		st.State, st.ExitResult, st.CompletedAt = drivers.TaskStateExited, t.result, t.completedAt
		t.mu.Unlock()
	}
	return st
}

// exitResult converts the supervisor's record.
func exitResult(ex *supervise.Exit) *drivers.ExitResult {
	r := &drivers.ExitResult{ExitCode: ex.ExitCode, Signal: ex.Signal, OOMKilled: ex.OOMKilled}
	if ex.Err != "" {
		r.Err = errors.New(ex.Err)
	}
	return r
}

// awaitSupervisorGone waits until the supervisor process has exited, and
// kills it (it has nothing left to do) if it lingers past ctx.
func (t *Task) awaitSupervisorGone(ctx context.Context) {
	for t.supervisorAlive() {
		select {
		case <-ctx.Done():
			if supervise.SupervisorAlive(t.state) {
				_ = syscall.Kill(t.state.SupervisorPID, syscall.SIGKILL)
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
