package rawexec

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
)

// DriverState is what a raw_exec TaskHandle carries in DriverState (as
// JSON): the supervisor's state directory and, in case that directory is
// lost, the PIDs and cgroup needed to clean up.
type DriverState = executor.State

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
	release, err := d.core.Reserve(cfg.ID)
	if err != nil {
		return nil, err
	}
	defer release()
	return d.core.Start(ctx, cfg, d.specFor(cfg, tc), nil)
}

// RecoverTask re-attaches to a task a previous agent started, from its
// handle. It succeeds while the task's state directory exists, even when
// the task has ended or its supervisor has died: WaitTask then yields the
// recorded exit, or an Err saying the supervisor died. When the state
// directory is gone, it kills what may remain of the task and returns
// ErrTaskNotFound.
func (d *Driver) RecoverTask(ctx context.Context, h *drivers.TaskHandle) error {
	return d.core.Recover(ctx, h, nil)
}
