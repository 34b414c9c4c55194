package jail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// On Linux a jail is an OCI container run by runc. Every runc command the
// tree runs is built here, always with --root.

// fallbackRunc is tried when runc is not in PATH (/usr/sbin is missing
// from many users' PATH).
var fallbackRunc = []string{"/usr/sbin/runc", "/sbin/runc"}

// LookPath finds the runtime binary: name looked up in PATH; with name
// empty, "runc" in PATH, then Debian's /usr/sbin/runc and /sbin/runc. The
// error is exec.LookPath's.
func LookPath(name string) (string, error) {
	if name != "" {
		return exec.LookPath(name)
	}
	p, err := exec.LookPath("runc")
	if err == nil {
		return p, nil
	}
	for _, f := range fallbackRunc {
		if fi, serr := os.Stat(f); serr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return f, nil
		}
	}
	return "", err
}

// command is `<Path> --root <Root> args...` bound to ctx.
func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, r.Path, append([]string{"--root", r.Root}, args...)...)
}

// loggedCommand is command with the runtime's own log going to logFile in
// JSON, where runtimeError finds its message.
func (r *Runtime) loggedCommand(ctx context.Context, logFile string, args ...string) *exec.Cmd {
	if logFile == "" {
		return r.command(ctx, args...)
	}
	return r.command(ctx, append([]string{"--log", logFile, "--log-format", "json"}, args...)...)
}

// Version returns the runtime's version, e.g. "1.1.5".
func (r *Runtime) Version(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, r.Path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", r.Path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "runc version ")), nil
}

// Create creates jail id from a bundle (runc create) and waits for the
// runtime to return: the jail's init then waits to be started. On error
// the message is the runtime's own.
func (r *Runtime) Create(ctx context.Context, id string, o CreateOptions) error {
	cmd := r.loggedCommand(ctx, o.LogFile, "create", "--bundle", o.Bundle, "--pid-file", o.PIDFile, id)
	cmd.Dir = o.Bundle
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	if err := cmd.Run(); err != nil {
		var out []byte
		if o.Output != nil {
			out = o.Output()
		}
		return runtimeError("create", o.LogFile, out, err)
	}
	return nil
}

// Start starts a created jail's init (runc start); logFile is as
// CreateOptions.LogFile.
func (r *Runtime) Start(ctx context.Context, id, logFile string) error {
	if out, err := r.loggedCommand(ctx, logFile, "start", id).CombinedOutput(); err != nil {
		return runtimeError("start", logFile, out, err)
	}
	return nil
}

// Run runs jail id from a bundle in the foreground (runc run, in its own
// process group so a terminal's Ctrl-C reaches only the caller) and
// returns once it ended; its state is deleted then. A jail that exited
// non-zero gives an error wrapping *exec.ExitError. When ctx ends the
// jail is killed, again and again until the runtime returns (a kill that
// comes while it is still being created fails).
func (r *Runtime) Run(ctx context.Context, id string, o RunOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd := r.command(context.Background(), "run", "--bundle", o.Bundle, id)
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = cmp(o.WaitDelay, defaultWaitDelay)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", r.Path, err)
	}
	done := make(chan struct{})
	go r.killOnCancel(ctx, id, cmp(o.KillEvery, defaultKillEvery), done)
	err := cmd.Wait()
	close(done)
	// runc run deleted it unless it was interrupted.
	_ = r.Delete(context.Background(), id)
	if err != nil {
		return fmt.Errorf("%s run: %w", r.Path, err)
	}
	return nil
}

// cmp is d, or def when d is not positive.
func cmp(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// killOnCancel sends SIGKILL to jail id when ctx ends, again every period
// until done is closed.
func (r *Runtime) killOnCancel(ctx context.Context, id string, every time.Duration, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = r.Kill(context.Background(), id, "KILL")
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// ExecCommand returns the command that runs argv inside running jail id
// (runc exec), on a new terminal when tty (the caller gives it one as
// stdin, stdout and stderr): in the jail's namespaces, cgroup,
// capabilities and seccomp profile, with its environment and working
// directory. Its I/O, Cancel and WaitDelay are the caller's to set.
func (r *Runtime) ExecCommand(ctx context.Context, id string, tty bool, argv ...string) *exec.Cmd {
	args := []string{"exec"}
	if tty {
		args = append(args, "--tty")
	}
	return r.command(ctx, append(append(args, id), argv...)...)
}

// Kill sends signal (a name such as "KILL" or "TERM", or a number) to jail
// id's init (runc kill).
func (r *Runtime) Kill(ctx context.Context, id, signal string) error {
	if out, err := r.command(ctx, "kill", id, signal).CombinedOutput(); err != nil {
		return runtimeError("kill", "", out, err)
	}
	return nil
}

// Delete force-deletes jail id (runc delete --force): it kills whatever
// runs in it and removes its cgroup and runtime state. A jail that does
// not exist is not an error.
func (r *Runtime) Delete(ctx context.Context, id string) error {
	out, err := r.command(ctx, "delete", "--force", id).CombinedOutput()
	if ctx.Err() != nil && err != nil {
		return fmt.Errorf("runc delete: %w", ctx.Err())
	}
	if err != nil && !notExist(string(out)) {
		return runtimeError("delete", "", out, err)
	}
	return nil
}

// State returns what the runtime knows of jail id (runc state).
func (r *Runtime) State(ctx context.Context, id string) (*Container, error) {
	out, err := r.output(ctx, "state", id)
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(out, &c); err != nil {
		return nil, fmt.Errorf("runc state: %w", err)
	}
	return &c, nil
}

// List lists the jails in the runtime's root (runc list).
func (r *Runtime) List(ctx context.Context) ([]Container, error) {
	out, err := r.output(ctx, "list", "--format", "json")
	if err != nil {
		return nil, err
	}
	return parseList(out)
}

// Stats returns jail id's resource usage, from its cgroup (runc events
// --stats).
func (r *Runtime) Stats(ctx context.Context, id string) (*Usage, error) {
	out, err := r.output(ctx, "events", "--stats", id)
	if err != nil {
		return nil, err
	}
	return parseStats(out)
}

// output runs a runtime subcommand and returns its stdout; a failure
// carries what it wrote to stderr.
func (r *Runtime) output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, runtimeError(args[0], "", stderr.Bytes(), err)
	}
	return out, nil
}
