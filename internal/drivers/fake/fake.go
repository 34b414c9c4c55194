// Package fake is an in-memory task driver for tests. A task "runs" for
// config["run_for"] (a Go duration; forever when absent), then exits with
// config["exit_code"]; config["start_error"] makes StartTask fail with that
// text. Tasks survive a RecoverTask from the same Driver value, like tasks
// under a supervisor survive an agent restart.
//
// fake must only be imported by tests and dev tooling.
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
	cfg     *drivers.TaskConfig
	started time.Time
	done    chan struct{}
	result  *drivers.ExitResult
	stop    chan int // signal number
	once    sync.Once
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
	t := &task{cfg: cfg, started: time.Now(), done: make(chan struct{}), stop: make(chan int, 1)}
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
	case sig := <-t.stop:
		t.finish(&drivers.ExitResult{Signal: sig})
	}
}

func (t *task) finish(r *drivers.ExitResult) {
	t.once.Do(func() { t.result = r; close(t.done) })
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

// StopTask ends the task as if killed by the signal.
func (d *Driver) StopTask(_ context.Context, id string, _ time.Duration, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig := int(syscall.SIGTERM)
	if signal == "SIGKILL" {
		sig = int(syscall.SIGKILL)
	}
	select {
	case t.stop <- sig:
	default:
	}
	<-t.done
	return nil
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
		st.State, st.ExitResult = drivers.TaskStateExited, t.result
	default:
	}
	return st, nil
}

// SignalTask records nothing; SIGKILL and SIGTERM stop the task.
func (d *Driver) SignalTask(ctx context.Context, id string, signal string) error {
	if signal == "SIGKILL" || signal == "SIGTERM" {
		return d.StopTask(ctx, id, 0, signal)
	}
	_, err := d.get(id)
	return err
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
