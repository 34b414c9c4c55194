package rawexec

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// destroyGrace bounds how long DestroyTask waits for a supervisor to
// exit on its own when ctx has no earlier deadline.
const destroyGrace = 15 * time.Second

// WaitTask returns a channel that yields the task's exit once it has
// ended, then closes; it closes without a value when ctx ends first.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	ch := make(chan *drivers.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-t.done:
			t.mu.Lock()
			r := t.result
			t.mu.Unlock()
			ch <- r
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask sends signal (SIGTERM when empty) to the task and, if it has
// not exited after timeout, kills its whole process tree; it returns once
// the task has ended. Stopping an ended task does nothing.
func (d *Driver) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := supervise.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("%s: stop %s: %w", d.label(), id, err)
	}
	if t.isDone() {
		return nil
	}
	if _, err := t.client.Stop(ctx, sig, timeout); err != nil && ctx.Err() == nil && t.supervisorAlive() && !t.isDone() {
		return fmt.Errorf("%s: stop %s: %w", d.label(), id, err)
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: stop %s: %w", d.label(), id, ctx.Err())
	}
}

// DestroyTask releases the task: with force it kills a running task
// first (without force a running task is an error). It waits for the
// supervisor to exit, makes sure no process or cgroup of the task is
// left, removes the state directory and forgets the task. Log files stay
// (they belong to the allocation directory).
func (d *Driver) DestroyTask(ctx context.Context, id string, force bool) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	if !t.isDone() {
		if !force {
			return fmt.Errorf("%s task %s is still running: stop it first, or destroy with force", d.label(), id)
		}
		if err := d.StopTask(ctx, id, 0, "SIGKILL"); err != nil {
			return err
		}
	}
	gctx, cancel := context.WithTimeout(ctx, destroyGrace)
	defer cancel()
	t.awaitSupervisorGone(gctx)
	if err := supervise.Cleanup(gctx, t.state); err != nil {
		return fmt.Errorf("%s: destroy %s: %w", d.label(), id, err)
	}
	if err := os.RemoveAll(t.state.Dir); err != nil {
		return fmt.Errorf("%s: destroy %s: %w", d.label(), id, err)
	}
	d.forget(id)
	return nil
}

// InspectTask returns the task's state.
func (d *Driver) InspectTask(_ context.Context, id string) (*drivers.TaskStatus, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// SignalTask sends a signal ("SIGHUP", "HUP", "1"...) to the task's main
// process. It is an error when the task has ended.
func (d *Driver) SignalTask(ctx context.Context, id string, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := supervise.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("%s: signal %s: %w", d.label(), id, err)
	}
	if t.isDone() {
		return fmt.Errorf("%s: signal %s: %w", d.label(), id, supervise.ErrExited)
	}
	if err := t.client.Signal(ctx, sig); err != nil {
		return fmt.Errorf("%s: signal %s: %w", d.label(), id, err)
	}
	return nil
}

// killProcess sends SIGKILL to pid.
func killProcess(pid int) error {
	return syscall.Kill(pid, syscall.SIGKILL)
}
