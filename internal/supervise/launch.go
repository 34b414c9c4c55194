package supervise

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Supervisor is a supervisor this process launched.
type Supervisor struct {
	// State is what the supervisor recorded once its task ran.
	State *State
	// Exited is closed when the supervisor process has exited (and has
	// been reaped by this process).
	Exited <-chan struct{}
}

// Launch starts a supervisor for spec in the state directory dir and
// returns once the task has been exec'd, or with the error that kept it
// from starting, in the OS's own words (e.g. `exec: "nosuch": executable
// file not found in $PATH`). command is the program and leading arguments
// that run Main (the wharf binary and "supervise"); dir is appended. The
// supervisor runs in its own session, so signals to the caller's process
// group or session do not reach it.
//
// On error nothing is left: no process, no cgroup, no state directory.
func Launch(ctx context.Context, command []string, dir string, spec *Spec) (*Supervisor, error) {
	if len(command) == 0 {
		return nil, errors.New("launch supervisor: no command")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if _, err := SocketPath(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	if err := WriteJSON(filepath.Join(dir, SpecFile), spec); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("state dir: %w", err)
	}
	cmd, hs, err := startSupervisor(command, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	st, err := awaitHandshake(ctx, cmd, hs, dir)
	if err != nil {
		abandon(cmd, exited, dir)
		return nil, err
	}
	return &Supervisor{State: st, Exited: exited}, nil
}

// startSupervisor starts the supervisor process with its output going to
// LogFile and the handshake pipe on HandshakeFD.
func startSupervisor(command []string, dir string) (*exec.Cmd, *os.File, error) {
	logf, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("state dir: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer w.Close()
	cmd := exec.Command(command[0], append(append([]string{}, command[1:]...), dir)...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // becomes HandshakeFD (3)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("start supervisor: %w", err)
	}
	return cmd, r, nil
}

// awaitHandshake reads the supervisor's one message.
func awaitHandshake(ctx context.Context, cmd *exec.Cmd, hs *os.File, dir string) (*State, error) {
	got := make(chan handshake, 1)
	go func() {
		defer hs.Close()
		var msg handshake
		line, err := bufio.NewReader(hs).ReadBytes('\n')
		if err != nil || json.Unmarshal(line, &msg) != nil {
			msg = handshake{Error: "supervisor exited before starting the task"}
			if tail := logTail(dir); tail != "" {
				msg.Error += ": " + tail
			}
		}
		got <- msg
	}()
	select {
	case msg := <-got:
		if msg.Error != "" {
			return nil, errors.New(msg.Error)
		}
		if msg.State == nil {
			return nil, errors.New("supervisor reported no state")
		}
		return msg.State, nil
	case <-ctx.Done():
		// The supervisor stops a task it may have started and exits.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return nil, fmt.Errorf("start task: %w", ctx.Err())
	}
}

// abandon makes sure a supervisor that did not start its task leaves
// nothing behind: it waits for it to exit (killing it after a while),
// kills whatever it may have started, and removes the state directory.
func abandon(cmd *exec.Cmd, exited <-chan struct{}, dir string) {
	select {
	case <-exited:
	case <-time.After(treeKillTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	if st, err := ReadState(dir); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
		_ = Cleanup(ctx, st)
		cancel()
	} else {
		var spec Spec
		if ReadJSON(filepath.Join(dir, SpecFile), &spec) == nil && spec.Cgroup != nil {
			ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
			_ = spec.Cgroup.Kill(ctx)
			_ = spec.Cgroup.Remove(ctx)
			cancel()
		}
		if spec.Runtime != nil {
			ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
			_ = deleteContainer(ctx, spec.Runtime)
			cancel()
		}
	}
	os.RemoveAll(dir)
}

// logTail returns the last line of the supervisor's own log.
func logTail(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}

// SupervisorAlive reports whether the supervisor recorded in st is still
// running.
func SupervisorAlive(st *State) bool {
	return Alive(st.SupervisorPID, st.SupervisorStart)
}

// Cleanup kills whatever is left of the task recorded in st and removes
// its cgroup. Drivers call it when the supervisor is gone without having
// done so (killed by hand, or a failed launch); it does nothing when
// nothing is left, so calling it twice is safe.
//
// Without a cgroup the task's process group is killed, but only while it
// can still be the task's: its leader alive with the recorded start time,
// or gone while the group lives on (a PID is not reused while it names a
// live group). Off Linux the start time is unknown and only the group's
// existence is checked.
//
// With st.Runtime set the container is deleted first (`runc delete
// --force`, which kills what runs in it); st.Cgroup is then the
// container's own cgroup, found by the supervisor when it started it, and
// st.TaskPID the container's init (a session and group leader).
func Cleanup(ctx context.Context, st *State) error {
	var errs []error
	if st.Runtime != nil {
		if err := deleteContainer(ctx, st.Runtime); err != nil {
			errs = append(errs, err)
		}
	}
	if st.Cgroup != nil && st.Cgroup.Mode != CgroupNone {
		if err := st.Cgroup.Kill(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := st.Cgroup.Remove(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := killGroup(ctx, st.TaskPID, st.TaskStart); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// killGroup kills the process group led by pid (started at start) until
// none of its members runs or ctx ends.
func killGroup(ctx context.Context, pid int, start uint64) error {
	if pid <= 0 {
		return nil
	}
	if s, err := ProcessStart(pid); err == nil && start != 0 && s != start {
		return nil // the PID now names another process
	}
	for groupAlive(pid) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-ctx.Done():
			return fmt.Errorf("process group %d survives: %w", pid, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}
