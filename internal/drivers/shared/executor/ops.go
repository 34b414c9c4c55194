package executor

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// destroyGrace bounds how long Destroy waits for a supervisor to
// exit on its own when ctx has no earlier deadline.
const destroyGrace = 15 * time.Second

// Wait returns a channel that yields the task's exit once it has
// ended, then closes; it closes without a value when ctx ends first.
func (e *Executor) Wait(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	t, err := e.Get(id)
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

// Stop sends signal (SIGTERM when empty) to the task and, if it has
// not exited after timeout, kills its whole process tree; it returns once
// the task has ended. Stopping an ended task does nothing.
func (e *Executor) Stop(ctx context.Context, id string, timeout time.Duration, signal string) error {
	t, err := e.Get(id)
	if err != nil {
		return err
	}
	sig, err := supervise.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("%s: stop %s: %w", e.opts.Label, id, err)
	}
	if t.Ended() {
		return nil
	}
	if _, err := t.client.Stop(ctx, sig, timeout); err != nil && ctx.Err() == nil && t.supervisorAlive() && !t.Ended() {
		return fmt.Errorf("%s: stop %s: %w", e.opts.Label, id, err)
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: stop %s: %w", e.opts.Label, id, ctx.Err())
	}
}

// Destroy releases the task: with force it kills a running task
// first (without force a running task is an error). It waits for the
// supervisor to exit, makes sure no process or cgroup of the task is
// left, removes the state directory and forgets the task. Log files stay
// (they belong to the allocation directory).
func (e *Executor) Destroy(ctx context.Context, id string, force bool) error {
	t, err := e.Get(id)
	if err != nil {
		return err
	}
	if !t.Ended() {
		if !force {
			return fmt.Errorf("%s task %s is still running: stop it first, or destroy with force", e.opts.Label, id)
		}
		if err := e.Stop(ctx, id, 0, "SIGKILL"); err != nil {
			return err
		}
	}
	gctx, cancel := context.WithTimeout(ctx, destroyGrace)
	defer cancel()
	t.awaitSupervisorGone(gctx)
	if err := supervise.Cleanup(gctx, t.state); err != nil {
		return fmt.Errorf("%s: destroy %s: %w", e.opts.Label, id, err)
	}
	if err := os.RemoveAll(t.state.Dir); err != nil {
		return fmt.Errorf("%s: destroy %s: %w", e.opts.Label, id, err)
	}
	e.forget(id)
	return nil
}

// Inspect returns the task's state.
func (e *Executor) Inspect(_ context.Context, id string) (*drivers.TaskStatus, error) {
	t, err := e.Get(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// Signal sends a signal ("SIGHUP", "HUP", "1"...) to the task's main
// process. It is an error when the task has ended.
func (e *Executor) Signal(ctx context.Context, id string, signal string) error {
	t, err := e.Get(id)
	if err != nil {
		return err
	}
	sig, err := supervise.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("%s: signal %s: %w", e.opts.Label, id, err)
	}
	if t.Ended() {
		return fmt.Errorf("%s: signal %s: %w", e.opts.Label, id, supervise.ErrExited)
	}
	if err := t.client.Signal(ctx, sig); err != nil {
		return fmt.Errorf("%s: signal %s: %w", e.opts.Label, id, err)
	}
	return nil
}
