// Package supervise is the per-task supervisor: a small process (the wharf
// binary re-executed as `wharf supervise STATE_DIR`, in its own session)
// that starts one task, puts its process tree in a cgroup, writes its
// stdout and stderr to rotated log files, records its exit, and answers the
// driver over a unix socket. Because the supervisor is not in the agent's
// session or process group, restarting or killing the agent leaves the task
// running, and a new agent re-attaches from the state directory.
//
// The package has two sides: the supervisor (Run) and what a driver uses
// to start and talk to one (Launch, Dial, Cleanup, ReadState, ReadExit).
//
// supervise must never import internal/drivers, internal/client,
// internal/server or internal/state: drivers import it, not the other way
// round.
package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Names of the files in a supervisor's state directory.
const (
	// SpecFile is the Spec the driver writes before launching.
	SpecFile = "spec.json"
	// StateFile is the State the supervisor writes once the task runs.
	StateFile = "state.json"
	// ExitFile is the Exit the supervisor writes when the task has ended.
	ExitFile = "exit.json"
	// SocketFile is the unix socket the supervisor listens on.
	SocketFile = "sock"
	// LogFile receives the supervisor's own stdout and stderr.
	LogFile = "supervisor.log"
)

// Spec is what a supervisor runs: one command, its environment and where
// its logs go. The driver writes it to SpecFile in the state directory.
type Spec struct {
	// ID names the task (e.g. "<allocID>/<task>") in errors and cgroups.
	ID      string   `json:"id"`
	Command string   `json:"command"`
	Args    []string `json:"args,omitempty"`
	// Env is the task's complete environment, "KEY=value" each. The
	// command is looked up in its PATH (or a default PATH when it has
	// none).
	Env []string `json:"env,omitempty"`
	// Dir is the task's working directory; a relative Command is
	// resolved against it.
	Dir string `json:"dir"`
	// User, when set and the supervisor runs as root, is the user the
	// task runs as. Ignored when not root.
	User string `json:"user,omitempty"`
	// LogDir receives the task's log files, named by tasklog after
	// LogName; LogMaxFiles and LogMaxBytes bound their rotation (tasklog's
	// defaults when zero).
	LogDir      string `json:"log_dir"`
	LogName     string `json:"log_name"`
	LogMaxFiles int    `json:"log_max_files,omitempty"`
	LogMaxBytes int64  `json:"log_max_bytes,omitempty"`
	// Cgroup is the task's cgroup; nil or mode "none" contains the task
	// by its process group only.
	Cgroup *Cgroup `json:"cgroup,omitempty"`
	// StopGrace is how long the supervisor waits after passing SIGTERM
	// on to the task (when the supervisor itself is terminated) before it
	// kills the task's tree. Zero means 5s.
	StopGrace time.Duration `json:"stop_grace,omitempty"`
	// Runtime, when set, runs the task as an OCI container: Command, Args,
	// Env and User are ignored (the bundle's config.json says what runs),
	// Cgroup must be nil (the runtime makes the container's cgroup), and
	// the task's main process is the container's init.
	Runtime *Runtime `json:"runtime,omitempty"`
}

// Runtime says how to run a task as an OCI container. The supervisor
// creates the container with the runtime's stdout and stderr on the log
// files (the container inherits them), starts it, waits for its init
// process (which it adopts as a subreaper), records whether the kernel's
// OOM killer ended it, and deletes the container.
type Runtime struct {
	// Path is the OCI runtime binary (runc).
	Path string `json:"path"`
	// Root is the runtime's state directory (runc --root).
	Root string `json:"root"`
	// Bundle is the OCI bundle directory (config.json and rootfs).
	Bundle string `json:"bundle"`
	// ContainerID is the container's name in the runtime.
	ContainerID string `json:"container_id"`
	// CgroupsPath is the bundle's linux.cgroupsPath, where the OOM count
	// and stats are read.
	CgroupsPath string `json:"cgroups_path"`
}

// Validate reports the first missing or wrong field of the spec. With
// Runtime set, Command and Dir may be empty (the bundle says what runs
// where) and Cgroup must be nil or mode none.
func (s *Spec) Validate() error {
	switch {
	case s.ID == "":
		return errors.New("spec: id is required")
	case s.Runtime != nil:
		if err := s.Runtime.validate(); err != nil {
			return err
		}
		if s.Cgroup != nil && s.Cgroup.Mode != CgroupNone {
			return errors.New("spec: cgroup must be unset with runtime: the runtime makes the container's cgroup")
		}
	case s.Command == "":
		return errors.New("spec: command is required")
	}
	switch {
	case s.Dir == "" && s.Runtime == nil:
		return errors.New("spec: dir is required")
	case s.LogDir == "" || s.LogName == "":
		return errors.New("spec: log_dir and log_name are required")
	}
	return nil
}

// State is what a supervisor records once its task runs; it is all a
// driver needs to re-attach, or to clean up when the supervisor is gone.
type State struct {
	// Dir is the state directory.
	Dir string `json:"dir"`
	// SupervisorPID and SupervisorStart identify the supervisor process;
	// the start (clock ticks since boot, 0 when unknown) guards against
	// PID reuse.
	SupervisorPID   int    `json:"supervisor_pid"`
	SupervisorStart uint64 `json:"supervisor_start,omitempty"`
	// TaskPID and TaskStart identify the task's main process, which is
	// also the leader of the task's process group.
	TaskPID   int       `json:"task_pid"`
	TaskStart uint64    `json:"task_start,omitempty"`
	StartedAt time.Time `json:"started_at"`
	Cgroup    *Cgroup   `json:"cgroup,omitempty"`
	// Runtime is set for a task run as an OCI container.
	Runtime *Runtime `json:"runtime,omitempty"`
}

// Exit is how a task ended, as the supervisor records it in ExitFile.
type Exit struct {
	ExitCode int `json:"exit_code"`
	// Signal is the signal that ended the task (0 when it exited). The
	// exit code is then 128+Signal, as a shell reports it.
	Signal    int  `json:"signal,omitempty"`
	OOMKilled bool `json:"oom_killed,omitempty"`
	// Err, when set, says why the task's fate is not a plain exit (e.g.
	// the supervisor itself was terminated).
	Err        string    `json:"err,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
}

// WriteJSON writes v as JSON to path atomically: to a temporary file in
// the same directory, synced, then renamed over path.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadJSON decodes the JSON file at path into v.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// ReadState returns the State recorded in the state directory dir.
func ReadState(dir string) (*State, error) {
	var st State
	if err := ReadJSON(filepath.Join(dir, StateFile), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// ReadExit returns the Exit recorded in the state directory dir; an error
// satisfying errors.Is(err, fs.ErrNotExist) when the task has not ended
// (or the supervisor died before recording it).
func ReadExit(dir string) (*Exit, error) {
	var ex Exit
	if err := ReadJSON(filepath.Join(dir, ExitFile), &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}
