package pot

import (
	"context"
	"syscall"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
)

// ExecTask runs a command inside the jail with `runc exec`: in the jail's
// namespaces, cgroup, capabilities and seccomp profile, with its
// environment and working directory. With opts.Tty it runs on a
// pseudo-terminal whose size follows opts.Resize. The shared exec session
// runs it; cut short, runc is sent SIGTERM, which it passes on to the
// command in the jail, and killed if it lingers.
func (d *Driver) ExecTask(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	return d.core.Exec(ctx, id, opts, func(t *executor.Task) (*executor.Command, error) {
		j, err := jailOf(t)
		if err != nil {
			return nil, err
		}
		cmd := d.runtime().ExecCommand(context.Background(), j.ContainerID, opts.Tty, opts.Command...)
		return &executor.Command{Cmd: cmd, Interrupt: syscall.SIGTERM}, nil
	})
}
