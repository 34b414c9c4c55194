package supervise

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"time"
)

// maxSocketPath is the longest unix socket path every supported OS takes
// (sun_path is 108 bytes on Linux, 104 on FreeBSD, NUL included).
const maxSocketPath = 103

// ErrExited is returned when a signal is sent to a task that has ended.
var ErrExited = errTaskExited

// Client talks to the supervisor whose state directory is Dir, over its
// unix socket. The zero value is not usable; Client{Dir: dir} is.
type Client struct {
	Dir string
}

// Status is a supervisor's answer about its task.
type Status struct {
	Running bool
	TaskPID int
	// Exit is set once the task has ended.
	Exit *Exit
}

// SocketPath returns the path of the supervisor's socket in dir, or an
// error when it is too long for a unix socket.
func SocketPath(dir string) (string, error) {
	p := filepath.Join(dir, SocketFile)
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("socket path %s is %d bytes, longer than the %d a unix socket takes: use a shorter state dir", p, len(p), maxSocketPath)
	}
	return p, nil
}

// Wait blocks until the task has ended and returns its exit: from the
// supervisor, or from the exit it recorded when it has already finished.
// It fails when the supervisor cannot be reached (or goes away) and has
// recorded no exit.
func (c Client) Wait(ctx context.Context) (*Exit, error) {
	resp, err := c.call(ctx, request{Op: opWait})
	if err != nil {
		return c.recorded(err)
	}
	return exitOf(resp)
}

// Stop sends sig to the task, kills its whole tree if it has not exited
// after timeout, and returns its exit (at once when it has ended).
func (c Client) Stop(ctx context.Context, sig syscall.Signal, timeout time.Duration) (*Exit, error) {
	resp, err := c.call(ctx, request{Op: opStop, Signal: int(sig), Timeout: timeout})
	if err != nil {
		return c.recorded(err)
	}
	return exitOf(resp)
}

// recorded returns the recorded exit, or callErr when there is none.
func (c Client) recorded(callErr error) (*Exit, error) {
	if errors.Is(callErr, context.Canceled) || errors.Is(callErr, context.DeadlineExceeded) {
		return nil, callErr
	}
	if ex, err := ReadExit(c.Dir); err == nil {
		return ex, nil
	}
	return nil, callErr
}

// Signal sends sig to the task's main process. It returns ErrExited when
// the task has ended.
func (c Client) Signal(ctx context.Context, sig syscall.Signal) error {
	resp, err := c.call(ctx, request{Op: opSignal, Signal: int(sig)})
	if err != nil {
		return err
	}
	if resp.Error == errTaskExited.Error() {
		return ErrExited
	}
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	return nil
}

// Status returns the task's state.
func (c Client) Status(ctx context.Context) (*Status, error) {
	resp, err := c.call(ctx, request{Op: opStatus})
	if err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	return &Status{Running: resp.Running, TaskPID: resp.TaskPID, Exit: resp.Exit}, nil
}

func exitOf(resp *response) (*Exit, error) {
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	if resp.Exit == nil {
		return nil, errors.New("supervisor answered without an exit")
	}
	return resp.Exit, nil
}

// call sends one request and reads its answer; ctx bounds the whole call.
func (c Client) call(ctx context.Context, req request) (*response, error) {
	path, err := SocketPath(c.Dir)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("reach supervisor: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return nil, fmt.Errorf("reach supervisor: %w", err)
	}
	var resp response
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("supervisor hung up: %w", err)
	}
	return &resp, nil
}
