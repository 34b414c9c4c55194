package rawexec

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

// stateVersion is the version of DriverState's format.
const stateVersion = 1

// DriverState is what a raw_exec TaskHandle carries in DriverState (as
// JSON): the supervisor's state directory and, in case that directory is
// lost, the PIDs and cgroup needed to clean up.
type DriverState struct {
	Version int `json:"version"`
	supervise.State
}

// StartTask starts the task under a new supervisor and returns once the
// command has been exec'd. A command that cannot be run fails with the
// OS's error text, and leaves nothing behind.
func (d *Driver) StartTask(ctx context.Context, cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if !d.opts.Enabled {
		return nil, fmt.Errorf("raw_exec: %w", drivers.ErrDisabled)
	}
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	return d.StartSpec(ctx, cfg, d.specFor(cfg, tc))
}

// StartSpec starts a task described by a ready supervisor spec (other
// drivers built on this one, such as pot, make their own) and returns its
// handle. It fails when the task is already held or being started.
func (d *Driver) StartSpec(ctx context.Context, cfg *drivers.TaskConfig, spec *supervise.Spec) (*drivers.TaskHandle, error) {
	if d.exeErr != nil {
		return nil, fmt.Errorf("%s: find the wharf binary: %w", d.label(), d.exeErr)
	}
	if cfg.ID == "" || cfg.TaskDir == "" || cfg.LogDir == "" {
		return nil, fmt.Errorf("%s: task %q needs an ID, a task dir and a log dir", d.label(), cfg.ID)
	}
	if !d.reserve(cfg.ID) {
		return nil, fmt.Errorf("%s task %s is already started", d.label(), cfg.ID)
	}
	defer d.unreserve(cfg.ID)
	dir := d.stateDirFor(cfg.ID)
	if err := clearStaleStateDir(dir); err != nil {
		return nil, err
	}
	sup, err := supervise.Launch(ctx, d.opts.SupervisorCommand, dir, spec)
	if err != nil {
		return nil, err
	}
	t := newTask(cfg, sup.State, sup.Exited)
	raw, err := json.Marshal(DriverState{Version: stateVersion, State: *sup.State})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go t.watch()
	return &drivers.TaskHandle{Version: 1, Driver: d.label(), Config: cfg, State: drivers.TaskStateRunning,
		DriverState: raw, StartedAt: sup.State.StartedAt}, nil
}

// reserve marks an ID as being started, unless it is held or already
// being started.
func (d *Driver) reserve(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[id]; ok {
		return false
	}
	if d.starting[id] {
		return false
	}
	d.starting[id] = true
	return true
}

func (d *Driver) unreserve(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.starting, id)
}

// clearStaleStateDir removes the state directory an earlier, finished
// run of the same task left; it refuses when that run's supervisor is
// still alive (the task must be recovered, not started again).
func clearStaleStateDir(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if st, err := supervise.ReadState(dir); err == nil {
		if supervise.SupervisorAlive(st) {
			return fmt.Errorf("raw_exec: a supervisor (pid %d) still runs this task from %s: recover it instead", st.SupervisorPID, dir)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := supervise.Cleanup(ctx, st); err != nil {
			return fmt.Errorf("raw_exec: clean up an earlier run: %w", err)
		}
	}
	return os.RemoveAll(dir)
}

// RecoverTask re-attaches to a task a previous agent started, from its
// handle. It succeeds while the task's state directory exists, even when
// the task has ended or its supervisor has died: WaitTask then yields the
// recorded exit, or an Err saying the supervisor died. When the state
// directory is gone, it kills what may remain of the task and returns
// ErrTaskNotFound.
func (d *Driver) RecoverTask(ctx context.Context, h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New(d.label() + ": recover: handle without task config")
	}
	if d.held(h.Config.ID) {
		return nil
	}
	var ds DriverState
	if len(h.DriverState) == 0 {
		// A handle the agent never saved: find the task by its ID.
		ds = DriverState{Version: stateVersion}
		ds.Dir = d.stateDirFor(h.Config.ID)
		rec, err := supervise.ReadState(ds.Dir)
		if err != nil {
			return fmt.Errorf("%s task %s: no saved state: %w", d.label(), h.Config.ID, drivers.ErrTaskNotFound)
		}
		ds.State = *rec
	} else if err := json.Unmarshal(h.DriverState, &ds); err != nil {
		return fmt.Errorf("%s: recover %s: driver state: %w", d.label(), h.Config.ID, err)
	}
	if ds.Version != stateVersion || ds.Dir == "" {
		return fmt.Errorf("%s: recover %s: driver state version %d without a state dir", d.label(), h.Config.ID, ds.Version)
	}
	if _, err := os.Stat(ds.Dir); errors.Is(err, fs.ErrNotExist) {
		cleanupErr := supervise.Cleanup(ctx, &ds.State)
		return errors.Join(fmt.Errorf("%s task %s: state dir %s is gone: %w", d.label(), h.Config.ID, ds.Dir, drivers.ErrTaskNotFound), cleanupErr)
	}
	st := &ds.State
	if rec, err := supervise.ReadState(ds.Dir); err == nil {
		st = rec
	}
	t := newTask(h.Config, st, nil)
	if !d.track(t) {
		return nil
	}
	go t.watch()
	return nil
}
