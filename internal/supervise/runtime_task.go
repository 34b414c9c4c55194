package supervise

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/jail"
)

// The runtime mode of the supervisor: the task is an OCI container that
// the runtime (runc) creates and starts. The runtime's own process exits
// once the container is created; the container's init, left without a
// parent, is adopted by the supervisor (a child subreaper), which then
// waits for it like for any task's main process.
//
// Signals from the supervisor go to the init process. It is PID 1 of the
// container's pid namespace, so the kernel delivers only the signals it
// has a handler for, plus SIGKILL and SIGSTOP: a SIGTERM to an init that
// neither handles nor ignores it does nothing, and Stop then kills the
// container when its timeout passes. Killing the init makes the kernel
// kill every other process of the namespace.
//
// The supervisor's reaper waits for any child (wait4(-1)) so that it also
// reaps orphans. A runtime command the supervisor runs once the reaper is
// going (runc delete) would have its exit status stolen, and its Wait fail
// with ECHILD. Rather than teach the reaper which PIDs to leave alone
// (racy: the PID is known only once the child runs), such commands run
// under task.reapMu, which the reaper holds while it reaps; zombies that
// appear meanwhile are reaped once the command is done (their SIGCHLD
// stays pending). Commands run before the reaper starts (runc create and
// start) need no lock.

// startRuntime creates the container with the runtime's stdout and stderr
// on the task's log pipes (with process.terminal false the container
// inherits them), adopts its init and starts it. On error the container is
// gone and the error carries the runtime's own message.
func startRuntime(ctx context.Context, spec *Spec, log *slog.Logger) (*task, error) {
	rt := spec.Runtime
	logs, err := openLogs(spec)
	if err != nil {
		return nil, err
	}
	t := &task{spec: spec, logs: logs, log: log, mainExit: make(chan struct{}), done: make(chan struct{})}
	for _, p := range []string{rt.logPath(), rt.pidPath()} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.abortRuntime(0)
			return nil, fmt.Errorf("bundle: %w", err)
		}
	}
	t.startedAt = time.Now().UTC()
	if err := t.createContainer(ctx); err != nil {
		t.abortRuntime(0)
		return nil, err
	}
	pid, err := readPIDFile(rt.pidPath())
	if err != nil {
		t.abortRuntime(0)
		return nil, fmt.Errorf("runc create: %w", err)
	}
	t.pid = pid
	t.start, _ = ProcessStart(pid)
	if t.cg, err = containerCgroup(pid); err != nil {
		log.Warn("container cgroup not found: the container is killed through its init only", "err", err)
	}
	if err := rt.Jail().Start(ctx, rt.ContainerID, rt.logPath()); err != nil {
		t.abortRuntime(pid)
		return nil, err
	}
	logs.startCopy()
	return t, nil
}

// createContainer runs `runc create` and waits for it.
func (t *task) createContainer(ctx context.Context) error {
	rt := t.spec.Runtime
	// Stdin stays nil: /dev/null.
	return rt.Jail().Create(ctx, rt.ContainerID, jail.CreateOptions{
		Bundle: rt.Bundle, PIDFile: rt.pidPath(), LogFile: rt.logPath(),
		Stdout: t.logs.outW, Stderr: t.logs.errW,
		Output: func() []byte { return pendingOutput(t.logs.errR) },
	})
}

// pendingOutput returns what is waiting in the pipe r (at most 64 KiB)
// without waiting for more.
func pendingOutput(r *os.File) []byte {
	if r.SetReadDeadline(time.Now().Add(20*time.Millisecond)) != nil {
		return nil
	}
	defer r.SetReadDeadline(time.Time{})
	buf := make([]byte, 64<<10)
	n, _ := r.Read(buf)
	return buf[:n]
}

// readPIDFile reads the PID the runtime wrote.
func readPIDFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read init pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("read init pid: bad pid file %s: %q", path, data)
	}
	return pid, nil
}

// abortRuntime undoes a failed start: it deletes the container, empties
// and removes its cgroup when one was found, and reaps the adopted init
// pid (when not 0). The reaper is not running yet.
func (t *task) abortRuntime(pid int) {
	ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
	defer cancel()
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := deleteContainer(ctx, t.spec.Runtime); err != nil {
		t.log.Error("delete container", "err", err)
	}
	if t.cg != nil {
		_ = t.cg.Kill(ctx)
		_ = t.cg.Remove(ctx)
	}
	if pid > 0 {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
	t.logs.close()
}

// killContainer kills the container's init, which makes the kernel kill
// the rest of its pid namespace, then waits until the container's cgroup
// is empty (without a cgroup, until the init is reaped). Whatever is
// still in the cgroup when ctx ends is killed through the cgroup.
func (t *task) killContainer(ctx context.Context) {
	t.mu.Lock()
	if !t.reaped {
		_ = syscall.Kill(t.pid, syscall.SIGKILL)
	}
	t.mu.Unlock()
	if t.cg == nil {
		select {
		case <-t.mainExit:
		case <-ctx.Done():
			t.log.Error("kill container: its init survives", "pid", t.pid)
		}
		return
	}
	for {
		pids, err := t.cg.Procs()
		if err == nil && len(pids) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.log.Error("kill container: processes remain in its cgroup: killing them", "cgroup", t.cg.String(), "pids", pids)
			last, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := t.cg.Kill(last); err != nil {
				t.log.Error("kill container", "err", err)
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// finishContainer reads whether the OOM killer struck in the container's
// cgroup (before the runtime removes it), then deletes the container
// (its cgroup and runtime state).
func (t *task) finishContainer() (oomKilled bool) {
	if t.cg != nil {
		oomKilled = containerOOM(t.cg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
	defer cancel()
	t.reapMu.Lock() // see the comment at the top of this file
	err := deleteContainer(ctx, t.spec.Runtime)
	t.reapMu.Unlock()
	if err != nil {
		t.log.Error("delete container", "err", err)
	}
	if t.cg != nil {
		if err := t.cg.Remove(ctx); err != nil {
			t.log.Error("remove container cgroup", "err", err)
		}
	}
	return oomKilled
}
