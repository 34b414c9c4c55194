package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// defaultPath is the PATH a command is looked up in when the task's
// environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// treeKillTimeout bounds how long killing a tree may take.
const treeKillTimeout = 10 * time.Second

// errTaskExited is returned for a signal to a task that has ended.
var errTaskExited = errors.New("task has exited")

// task is the supervised process tree, seen from the supervisor.
type task struct {
	spec  *Spec
	cg    *Cgroup
	logs  *taskLogs
	log   *slog.Logger
	pid   int
	start uint64
	// startedAt is taken just before the fork.
	startedAt time.Time

	// reapMu is held by the reaper while it reaps, and by a runtime
	// command the supervisor runs while the reaper is going, so that the
	// reaper does not steal that command's exit status (runtime_task.go).
	reapMu sync.Mutex

	mu     sync.Mutex
	reaped bool // the main process is reaped: its PID may be reused
	status syscall.WaitStatus
	reason string // why the supervisor itself ended the task, if it did
	// emulated is the signal a container init would have died of had it
	// not been pid 1 (see initsignal_linux.go); 0 when none.
	emulated syscall.Signal
	mainExit chan struct{}

	done chan struct{} // closed once exit is recorded
	exit *Exit
}

// startTask opens the logs, creates the cgroup and starts the command in
// it (or, with spec.Runtime, creates and starts the container). On error
// nothing is left running and the error is the OS's (or runtime's) own.
func startTask(ctx context.Context, spec *Spec, log *slog.Logger) (*task, error) {
	if spec.Runtime != nil {
		return startRuntime(ctx, spec, log)
	}
	if fi, err := os.Stat(spec.Dir); err != nil {
		return nil, fmt.Errorf("task dir: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("task dir %s is not a directory", spec.Dir)
	}
	logs, err := openLogs(spec)
	if err != nil {
		return nil, err
	}
	t := &task{spec: spec, logs: logs, log: log, mainExit: make(chan struct{}), done: make(chan struct{})}
	if spec.Cgroup != nil && spec.Cgroup.Mode != CgroupNone {
		t.cg = spec.Cgroup
		if err := t.cg.create(ctx); err != nil {
			t.abort()
			return nil, err
		}
	}
	cred, err := Credential(spec.User)
	if err != nil {
		t.abort()
		return nil, err
	}
	_ = os.Setenv("PATH", lookupEnv(spec.Env, "PATH", defaultPath))
	t.startedAt = time.Now().UTC()
	cmd, err := startInCgroup(func() *exec.Cmd { return t.command(cred) }, t.cg)
	if err != nil {
		t.abort()
		return nil, err
	}
	t.pid = cmd.Process.Pid
	t.start, _ = ProcessStart(t.pid)
	logs.startCopy()
	return t, nil
}

// command builds the task's exec.Cmd; the command is looked up in the
// task's PATH (set in this process's environment by the caller).
func (t *task) command(cred *syscall.Credential) *exec.Cmd {
	cmd := exec.Command(t.spec.Command, t.spec.Args...)
	cmd.Dir, cmd.Env = t.spec.Dir, t.spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdout, cmd.Stderr = t.logs.outW, t.logs.errW
	cmd.SysProcAttr = taskAttrs()
	cmd.SysProcAttr.Credential = cred
	return cmd
}

// abort undoes a failed start.
func (t *task) abort() {
	if t.cg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
		defer cancel()
		_ = t.cg.Kill(ctx)
		_ = t.cg.Remove(ctx)
	}
	t.logs.close()
}

// lookupEnv returns key's value in a KEY=value list, or def.
func lookupEnv(env []string, key, def string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return def
}

// Credential returns the credential of user name (its uid, gid and
// groups) when name is set and this process runs as root; nil otherwise,
// so the command runs as this process's user.
func Credential(name string) (*syscall.Credential, error) {
	if name == "" || os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(g))
		}
	}
	return cred, nil
}

// reap waits for children (the main process, and orphans this subreaper
// adopted) each time SIGCHLD arrives; it records the main process's
// status.
func (t *task) reap(sigchld <-chan os.Signal) {
	for {
		t.reapAll()
		<-sigchld
	}
}

func (t *task) reapAll() {
	t.reapMu.Lock()
	defer t.reapMu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if pid == t.pid {
			t.mu.Lock()
			t.reaped, t.status = true, ws
			t.mu.Unlock()
			close(t.mainExit)
		}
	}
}

// signal sends sig to the task's main process.
func (t *task) signal(sig syscall.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reaped {
		return errTaskExited
	}
	if t.spec.Runtime != nil && initDropsSignal(t.pid, sig) {
		// See initsignal_linux.go: end the init as sig would have.
		t.emulated = sig
		return syscall.Kill(t.pid, syscall.SIGKILL)
	}
	return syscall.Kill(t.pid, sig)
}

// stop sends sig to the main process and kills the whole tree if the
// main process has not exited after timeout. SIGKILL kills the tree now.
func (t *task) stop(sig syscall.Signal, timeout time.Duration) {
	if sig == syscall.SIGKILL {
		go t.killTree()
		return
	}
	if err := t.signal(sig); err != nil {
		return
	}
	go func() {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-t.mainExit:
		case <-timer.C:
			t.log.Info("task did not exit in time: killing its tree", "signal", SignalName(sig), "timeout", timeout)
			t.killTree()
		}
	}()
}

// stopBySupervisor stops the task because the supervisor was told to end.
func (t *task) stopBySupervisor(sig os.Signal) {
	t.mu.Lock()
	if t.reason == "" {
		t.reason = fmt.Sprintf("supervisor received %v: task stopped", sig)
	}
	t.mu.Unlock()
	grace := t.spec.StopGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	t.stop(syscall.SIGTERM, grace)
}

// killTree kills every process of the task: its cgroup, or its process
// group when there is no cgroup, or its container.
func (t *task) killTree() {
	ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
	defer cancel()
	if t.spec.Runtime != nil {
		t.killContainer(ctx)
		return
	}
	if t.cg != nil {
		if err := t.cg.Kill(ctx); err != nil {
			t.log.Error("kill task tree", "err", err)
		}
		return
	}
	t.mu.Lock()
	if !t.reaped {
		_ = syscall.Kill(t.pid, syscall.SIGKILL)
	}
	t.mu.Unlock()
	for groupAlive(t.pid) {
		_ = syscall.Kill(-t.pid, syscall.SIGKILL)
		select {
		case <-ctx.Done():
			t.log.Error("kill task process group: processes remain", "pgid", t.pid)
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// finish waits for the main process to end, kills what is left of the
// tree, removes the cgroup (or deletes the container), drains the logs and
// records the exit.
func (t *task) finish(dir string) {
	<-t.mainExit
	t.killTree()
	ex := t.exitOf()
	if t.spec.Runtime != nil {
		ex.OOMKilled = t.finishContainer()
	} else if t.cg != nil {
		ex.OOMKilled = t.cg.OOMKilled()
		ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
		if err := t.cg.Remove(ctx); err != nil {
			t.log.Error("remove cgroup", "err", err)
		}
		cancel()
	}
	t.logs.drain(2 * time.Second)
	if err := WriteJSON(filepath.Join(dir, ExitFile), ex); err != nil {
		t.log.Error("record exit", "err", err)
	}
	t.exit = ex
	close(t.done)
}

// exitOf turns the main process's wait status into an Exit.
func (t *task) exitOf() *Exit {
	t.mu.Lock()
	defer t.mu.Unlock()
	ex := &Exit{ExitCode: t.status.ExitStatus(), Err: t.reason, FinishedAt: time.Now().UTC()}
	if t.status.Signaled() {
		ex.Signal = int(t.status.Signal())
		if t.emulated != 0 && t.status.Signal() == syscall.SIGKILL {
			ex.Signal = int(t.emulated)
		}
		ex.ExitCode = 128 + ex.Signal
	}
	return ex
}
