package pot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/wharf-project/wharf/internal/drivers"
)

// execWaitDelay is how long a cancelled exec may take to end after runc
// was asked to stop it.
const execWaitDelay = 2 * time.Second

// ExecTask runs a command inside the jail with `runc exec`: in the jail's
// namespaces, cgroup, capabilities and seccomp profile, with its
// environment and working directory. With opts.Tty it runs on a
// pseudo-terminal whose size follows opts.Resize.
func (d *Driver) ExecTask(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	j, err := d.held(id)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 {
		return nil, errors.New("pot: exec: no command")
	}
	if st, err := d.core.InspectTask(ctx, id); err != nil || st.State != drivers.TaskStateRunning {
		return nil, fmt.Errorf("pot: exec in %s: the task is not running", id)
	}
	args := []string{"exec"}
	if opts.Tty {
		args = append(args, "--tty")
	}
	cmd := d.runcCmd(ctx, append(append(args, j.ContainerID), opts.Command...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = execWaitDelay
	if opts.Tty {
		err = runTTY(cmd, opts)
	} else {
		err = runPipes(cmd, opts)
	}
	return execResult(cmd, err)
}

// runPipes runs cmd with the session's streams as its stdio.
func runPipes(cmd *exec.Cmd, opts *drivers.ExecOptions) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	return cmd.Run()
}

// runTTY runs cmd on a new pseudo-terminal, copying the session's stdin
// to it and its output to stdout, and resizing it on request.
func runTTY(cmd *exec.Cmd, opts *drivers.ExecOptions) error {
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		return err
	}
	defer ptmx.Close()
	done := make(chan struct{})
	defer close(done)
	go resizeLoop(ptmx, opts.Resize, done)
	if opts.Stdin != nil {
		go func() {
			_, _ = io.Copy(ptmx, opts.Stdin)
			_, _ = ptmx.Write([]byte{4}) // ^D: end of input
		}()
	}
	out := make(chan struct{})
	go func() {
		defer close(out)
		if opts.Stdout != nil {
			_, _ = io.Copy(opts.Stdout, ptmx)
		} else {
			_, _ = io.Copy(io.Discard, ptmx)
		}
	}()
	err = cmd.Wait()
	select {
	case <-out:
	case <-time.After(time.Second):
	}
	return err
}

// resizeLoop applies terminal size changes until done.
func resizeLoop(ptmx *os.File, sizes <-chan drivers.TerminalSize, done <-chan struct{}) {
	for {
		select {
		case sz, ok := <-sizes:
			if !ok {
				return
			}
			if sz.Height > 0 && sz.Width > 0 {
				_ = pty.Setsize(ptmx, &pty.Winsize{Rows: uint16(sz.Height), Cols: uint16(sz.Width)})
			}
		case <-done:
			return
		}
	}
}

// execResult turns runc exec's end into the command's exit.
func execResult(cmd *exec.Cmd, err error) (*drivers.ExitResult, error) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return &drivers.ExitResult{}, nil
	case errors.As(err, &ee):
		r := &drivers.ExitResult{ExitCode: ee.ExitCode()}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signal, r.ExitCode = int(ws.Signal()), 128+int(ws.Signal())
		}
		return r, nil
	}
	return nil, fmt.Errorf("pot: exec: %w", err)
}
