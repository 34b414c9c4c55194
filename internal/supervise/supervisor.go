package supervise

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// HandshakeFD is the file descriptor on which a supervisor reports, once,
// that its task runs (a handshake with the State) or why it could not
// start it (a handshake with the error text).
const HandshakeFD = 3

// handshake is the supervisor's one message on HandshakeFD.
type handshake struct {
	State *State `json:"state,omitempty"`
	Error string `json:"error,omitempty"`
}

// Main is the supervisor process: the hidden `wharf supervise STATE_DIR`
// command calls it. It starts the task described by STATE_DIR/spec.json,
// reports on HandshakeFD, serves the driver until the task has ended and
// its exit is recorded, and returns the process's exit code (0 when the
// task ran, whatever its own exit; 1 when it could not be started).
func Main(dir string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("pid", os.Getpid())
	var st syscall.Stat_t
	if err := syscall.Fstat(HandshakeFD, &st); err != nil || uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFIFO {
		log.Error("no handshake pipe on file descriptor 3: this command is started by task drivers, not by hand")
		return 2
	}
	syscall.CloseOnExec(HandshakeFD)
	hs := os.NewFile(HandshakeFD, "handshake")
	if err := run(dir, hs, log); err != nil {
		log.Error("supervisor", "err", err)
		return 1
	}
	return 0
}

// run is Main with its handshake file and logger.
func run(dir string, hs *os.File, log *slog.Logger) error {
	defer hs.Close()
	var spec Spec
	if err := ReadJSON(filepath.Join(dir, SpecFile), &spec); err != nil {
		return report(hs, nil, err)
	}
	if err := spec.Validate(); err != nil {
		return report(hs, nil, err)
	}
	log = log.With("task", spec.ID)
	sigchld, term := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	// SIGHUP is caught (not ignored) so the task does not inherit SIG_IGN.
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := becomeSubreaper(); err != nil {
		if spec.Runtime != nil {
			// The container's init is adopted only by a subreaper.
			return report(hs, nil, fmt.Errorf("become a subreaper: %w", err))
		}
		log.Warn("cannot become a subreaper: orphans go to init", "err", err)
	}
	srv, err := listen(dir, log)
	if err != nil {
		return report(hs, nil, fmt.Errorf("supervisor socket: %w", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), treeKillTimeout)
	t, err := startTask(ctx, &spec, log)
	cancel()
	if err != nil {
		srv.shutdown(0)
		return report(hs, nil, err)
	}
	go t.reap(sigchld)
	go t.finish(dir)
	go srv.serve(t)
	st := t.state(dir)
	if err := WriteJSON(filepath.Join(dir, StateFile), st); err != nil {
		t.stop(syscall.SIGKILL, 0)
		<-t.done
		srv.shutdown(0)
		return report(hs, nil, fmt.Errorf("record state: %w", err))
	}
	if err := report(hs, st, nil); err != nil {
		log.Warn("handshake", "err", err)
	}
	log.Info("task started", "task_pid", t.pid, "cgroup", t.cg.String())
	return t.supervise(srv, term)
}

// state is what the supervisor records for re-attaching.
func (t *task) state(dir string) *State {
	self, _ := ProcessStart(os.Getpid())
	return &State{Dir: dir, SupervisorPID: os.Getpid(), SupervisorStart: self,
		TaskPID: t.pid, TaskStart: t.start, StartedAt: t.startedAt, Cgroup: t.cg, Runtime: t.spec.Runtime}
}

// supervise waits for the task to end, stopping it if the supervisor is
// told to terminate, then lets pending answers go out.
func (t *task) supervise(srv *server, term <-chan os.Signal) error {
	for {
		select {
		case <-t.done:
			srv.shutdown(5 * time.Second)
			t.log.Info("task ended", "exit_code", t.exit.ExitCode, "signal", t.exit.Signal, "oom_killed", t.exit.OOMKilled)
			return nil
		case sig := <-term:
			if sig == syscall.SIGHUP {
				continue
			}
			t.log.Info("terminated: stopping the task", "signal", sig)
			t.stopBySupervisor(sig)
		}
	}
}

// report writes the handshake. With err set it returns err, so a failed
// start is both reported and the supervisor's own failure.
func report(hs *os.File, st *State, err error) error {
	msg := handshake{State: st}
	if err != nil {
		msg.Error = err.Error()
	}
	data, merr := json.Marshal(msg)
	if merr != nil {
		return merr
	}
	if _, werr := hs.Write(append(data, '\n')); werr != nil && err == nil {
		return werr
	}
	return err
}
