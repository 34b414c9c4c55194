package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// stateVersion is the version of State's format.
const stateVersion = 1

// State is what a task's handle carries in DriverState (as JSON): the
// supervisor's state directory and, in case that directory is lost, the
// PIDs and cgroup needed to clean up.
type State struct {
	Version int `json:"version"`
	supervise.State
}

// Start starts a task under a new supervisor running spec, holds it with
// data (the driver's own record of the task, nil for none), and returns
// its handle once the task runs. The caller holds the ID's reservation
// (Reserve). A task that cannot be run fails with the OS's or runtime's
// own error text, and leaves nothing behind.
func (e *Executor) Start(ctx context.Context, cfg *drivers.TaskConfig, spec *supervise.Spec, data any) (*drivers.TaskHandle, error) {
	if e.exeErr != nil {
		return nil, fmt.Errorf("%s: find the wharf binary: %w", e.opts.Label, e.exeErr)
	}
	if cfg.ID == "" || cfg.TaskDir == "" || cfg.LogDir == "" {
		return nil, fmt.Errorf("%s: task %q needs an ID, a task dir and a log dir", e.opts.Label, cfg.ID)
	}
	dir := e.StateDirFor(cfg.ID)
	if err := e.clearStaleStateDir(dir); err != nil {
		return nil, err
	}
	sup, err := supervise.Launch(ctx, e.opts.SupervisorCommand, dir, spec)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(State{Version: stateVersion, State: *sup.State})
	if err != nil {
		return nil, err
	}
	t := newTask(cfg, sup.State, sup.Exited, data)
	e.mu.Lock()
	e.tasks[cfg.ID] = t
	e.mu.Unlock()
	go t.watch()
	return &drivers.TaskHandle{Version: 1, Driver: e.opts.Label, Config: cfg, State: drivers.TaskStateRunning,
		DriverState: raw, StartedAt: sup.State.StartedAt}, nil
}

// clearStaleStateDir removes the state directory an earlier, finished
// run of the same task left; it refuses when that run's supervisor is
// still alive (the task must be recovered, not started again).
func (e *Executor) clearStaleStateDir(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if st, err := supervise.ReadState(dir); err == nil {
		if supervise.SupervisorAlive(st) {
			return fmt.Errorf("%s: a supervisor (pid %d) still runs this task from %s: recover it instead", e.opts.Label, st.SupervisorPID, dir)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := supervise.Cleanup(ctx, st); err != nil {
			return fmt.Errorf("%s: clean up an earlier run: %w", e.opts.Label, err)
		}
	}
	return os.RemoveAll(dir)
}

// Recover re-attaches to a task a previous agent started, from its handle
// (whose DriverState is a State, or empty), and holds it with data. It
// succeeds while the task's state directory exists, even when the task
// has ended or its supervisor has died: Wait then yields the recorded
// exit, or an Err saying the supervisor died. When the state directory is
// gone, it kills what may remain of the task and returns ErrTaskNotFound.
// A task already held is left as it is.
func (e *Executor) Recover(ctx context.Context, h *drivers.TaskHandle, data any) error {
	if h == nil || h.Config == nil {
		return errors.New(e.opts.Label + ": recover: handle without task config")
	}
	if e.held(h.Config.ID) {
		return nil
	}
	ds, err := e.recoveredState(h)
	if err != nil {
		return err
	}
	if _, err := os.Stat(ds.Dir); errors.Is(err, fs.ErrNotExist) {
		cleanupErr := supervise.Cleanup(ctx, &ds.State)
		return errors.Join(fmt.Errorf("%s task %s: state dir %s is gone: %w", e.opts.Label, h.Config.ID, ds.Dir, drivers.ErrTaskNotFound), cleanupErr)
	}
	st := &ds.State
	if rec, err := supervise.ReadState(ds.Dir); err == nil {
		st = rec
	}
	t := newTask(h.Config, st, nil, data)
	if !e.track(t) {
		return nil
	}
	go t.watch()
	return nil
}

// recoveredState decodes the handle's State; a handle the agent never
// saved finds the task by its ID.
func (e *Executor) recoveredState(h *drivers.TaskHandle) (*State, error) {
	var ds State
	if len(h.DriverState) == 0 {
		ds = State{Version: stateVersion}
		ds.Dir = e.StateDirFor(h.Config.ID)
		rec, err := supervise.ReadState(ds.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s task %s: no saved state: %w", e.opts.Label, h.Config.ID, drivers.ErrTaskNotFound)
		}
		ds.State = *rec
	} else if err := json.Unmarshal(h.DriverState, &ds); err != nil {
		return nil, fmt.Errorf("%s: recover %s: driver state: %w", e.opts.Label, h.Config.ID, err)
	}
	if ds.Version != stateVersion || ds.Dir == "" {
		return nil, fmt.Errorf("%s: recover %s: driver state version %d without a state dir", e.opts.Label, h.Config.ID, ds.Version)
	}
	return &ds, nil
}
