// Package fake is an in-memory task driver for tests. A task "runs" for
// config["run_for"] (a Go duration; forever when absent), then exits with
// config["exit_code"]; config["start_error"] makes StartTask fail with that
// text. config["exit_on_signal"] (e.g. "SIGHUP") makes that signal end the
// task with config["exit_code"]; config["ignore_signals"] = true makes it
// ignore SIGTERM-like signals, so StopTask kills it after its timeout.
// Tasks survive a RecoverTask from the same Driver value, like tasks under
// a supervisor survive an agent restart.
//
// fake must only be imported by tests. It must never import
// internal/drivers/rawexec or internal/drivers/pot: drivers stay apart.
package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Name is the driver name jobs use.
const Name = "fake"

// Driver is the fake driver.
type Driver struct {
	mu    sync.Mutex
	tasks map[string]*task
	// Unhealthy makes Fingerprint report the driver unhealthy.
	Unhealthy bool
}

var _ drivers.Driver = (*Driver)(nil)

type task struct {
	cfg       *drivers.TaskConfig
	started   time.Time
	completed time.Time
	done      chan struct{}
	result    *drivers.ExitResult
	stop      chan *drivers.ExitResult
	once      sync.Once
}

// New returns an empty fake driver.
func New() *Driver { return &Driver{tasks: map[string]*task{}} }

// Name returns "fake".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver detected and healthy (unless Unhealthy).
func (d *Driver) Fingerprint(context.Context) *structs.DriverInfo {
	desc := "Healthy"
	if d.Unhealthy {
		desc = "unhealthy on purpose"
	}
	return &structs.DriverInfo{Detected: true, Healthy: !d.Unhealthy, HealthDescription: desc,
		Attributes: map[string]string{"driver.fake": "1"}, UpdateTime: time.Now()}
}

// StartTask starts a fake task.
func (d *Driver) StartTask(_ context.Context, cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if msg, ok := cfg.Config["start_error"].(string); ok && msg != "" {
		return nil, errors.New(msg)
	}
	var runFor time.Duration
	if s, ok := cfg.Config["run_for"].(string); ok && s != "" {
		var err error
		if runFor, err = time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("config run_for: %w", err)
		}
	}
	code := intConfig(cfg.Config["exit_code"])
	t := &task{cfg: cfg, started: time.Now(), done: make(chan struct{}), stop: make(chan *drivers.ExitResult, 1)}
	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil, fmt.Errorf("task %s already started", cfg.ID)
	}
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go t.run(runFor, code)
	state, _ := json.Marshal(map[string]string{"id": cfg.ID})
	return &drivers.TaskHandle{Version: 1, Driver: Name, Config: cfg, State: drivers.TaskStateRunning,
		DriverState: state, StartedAt: t.started}, nil
}

func intConfig(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

func (t *task) run(runFor time.Duration, code int) {
	var timer <-chan time.Time
	if runFor > 0 {
		timer = time.After(runFor)
	}
	select {
	case <-timer:
		t.finish(&drivers.ExitResult{ExitCode: code})
	case r := <-t.stop:
		t.finish(r)
	}
}

func (t *task) finish(r *drivers.ExitResult) {
	t.once.Do(func() { t.result, t.completed = r, time.Now(); close(t.done) })
}

// end asks the task to end with r, unless it is ending already.
func (t *task) end(r *drivers.ExitResult) {
	select {
	case t.stop <- r:
	default:
	}
}

// exited reports whether the task has ended.
func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// signals are the signal names the fake knows.
var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
	"SIGKILL": syscall.SIGKILL, "SIGTERM": syscall.SIGTERM, "SIGUSR1": syscall.SIGUSR1,
	"SIGUSR2": syscall.SIGUSR2,
}

// parseSignal returns the signal named s (SIGTERM when empty).
func parseSignal(s string) (syscall.Signal, error) {
	if s == "" {
		return syscall.SIGTERM, nil
	}
	sig, ok := signals[s]
	if !ok {
		return 0, fmt.Errorf("fake: unknown signal %q", s)
	}
	return sig, nil
}

// deliver applies a signal to the task: its exit_on_signal ends it with
// exit_code, SIGKILL always ends it, SIGTERM, SIGINT and SIGQUIT end it
// unless it ignores signals, others do nothing. It reports whether the
// task is ending.
func (t *task) deliver(sig syscall.Signal) bool {
	if name, _ := t.cfg.Config["exit_on_signal"].(string); name != "" && signals[name] == sig {
		t.end(&drivers.ExitResult{ExitCode: intConfig(t.cfg.Config["exit_code"])})
		return true
	}
	ignore, _ := t.cfg.Config["ignore_signals"].(bool)
	switch {
	case sig == syscall.SIGKILL,
		!ignore && (sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGQUIT):
		t.end(&drivers.ExitResult{Signal: int(sig)})
		return true
	}
	return false
}

func (d *Driver) get(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("fake task %s: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// RecoverTask succeeds while the task is still known to this Driver.
func (d *Driver) RecoverTask(_ context.Context, h *drivers.TaskHandle) error {
	_, err := d.get(h.Config.ID)
	return err
}

// WaitTask yields the task's exit.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	ch := make(chan *drivers.ExitResult, 1)
	go func() {
		select {
		case <-t.done:
			ch <- t.result
		case <-ctx.Done():
		}
		close(ch)
	}()
	return ch, nil
}

// StopTask delivers the signal and, if the task has not ended after
// timeout, kills it (SIGKILL).
func (d *Driver) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	if t.exited() {
		return nil
	}
	if !t.deliver(sig) {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-t.done:
		case <-timer.C:
			t.deliver(syscall.SIGKILL)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DestroyTask forgets the task, stopping it first when force is set.
func (d *Driver) DestroyTask(ctx context.Context, id string, force bool) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	select {
	case <-t.done:
	default:
		if !force {
			return fmt.Errorf("fake task %s is still running", id)
		}
		_ = d.StopTask(ctx, id, 0, "SIGKILL")
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

// InspectTask returns the task's state.
func (d *Driver) InspectTask(_ context.Context, id string) (*drivers.TaskStatus, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{ID: id, State: drivers.TaskStateRunning, StartedAt: t.started}
	select {
	case <-t.done:
		st.State, st.ExitResult, st.CompletedAt = drivers.TaskStateExited, t.result, t.completed
	default:
	}
	return st, nil
}

// SignalTask delivers a signal to a running task (see the package doc
// for what signals do); it is an error when the task has ended.
func (d *Driver) SignalTask(_ context.Context, id string, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	if t.exited() {
		return fmt.Errorf("fake task %s has exited", id)
	}
	t.deliver(sig)
	return nil
}

// Tasks returns the IDs of the tasks the driver holds.
func (d *Driver) Tasks() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.tasks))
	for id := range d.tasks {
		out = append(out, id)
	}
	return out
}
