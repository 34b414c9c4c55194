package supervise

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Names of the files the supervisor keeps in a runtime task's bundle.
const (
	// RuntimeLogFile receives the runtime's own log (runc --log), as JSON
	// lines; the supervisor reads errors from it.
	RuntimeLogFile = "runc.log"
	// RuntimePIDFile is where the runtime writes the container init's PID.
	RuntimePIDFile = "init.pid"
)

// RuntimeUsage is a container's resource usage as its runtime reports it
// (runc events --stats).
type RuntimeUsage struct {
	// MemoryUsage is the memory charged to the container's cgroup (page
	// cache included); MemoryMaxUsage its peak; MemoryRSS the anonymous
	// memory (v1 total_rss, or rss; v2 anon). Bytes.
	MemoryUsage    uint64
	MemoryMaxUsage uint64
	MemoryRSS      uint64
	// CPUTotal, CPUUser and CPUKernel are the CPU time used, in
	// nanoseconds (user and kernel may be coarser, in clock ticks).
	CPUTotal  uint64
	CPUUser   uint64
	CPUKernel uint64
}

// validate reports the first missing field of a runtime spec.
func (rt *Runtime) validate() error {
	switch {
	case rt.Path == "":
		return errors.New("spec: runtime path is required")
	case rt.Root == "":
		return errors.New("spec: runtime root is required")
	case rt.Bundle == "":
		return errors.New("spec: runtime bundle is required")
	case rt.ContainerID == "":
		return errors.New("spec: runtime container_id is required")
	}
	return nil
}

// Command returns the runtime command `<Path> --root <Root> args...`, for
// the subcommands a driver runs itself (exec, state, ...). Its
// environment and I/O are the caller's to set.
func (rt *Runtime) Command(args ...string) *exec.Cmd {
	return exec.Command(rt.Path, append([]string{"--root", rt.Root}, args...)...)
}

// commandContext is Command bound to ctx.
func (rt *Runtime) commandContext(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, rt.Path, append([]string{"--root", rt.Root}, args...)...)
}

// loggedCommand is commandContext with the runtime's own log going to the
// bundle's RuntimeLogFile in JSON, where runtimeError finds its message.
func (rt *Runtime) loggedCommand(ctx context.Context, args ...string) *exec.Cmd {
	return rt.commandContext(ctx, append([]string{"--log", rt.logPath(), "--log-format", "json"}, args...)...)
}

// logPath is the runtime's log file in the bundle.
func (rt *Runtime) logPath() string { return filepath.Join(rt.Bundle, RuntimeLogFile) }

// pidPath is the file the runtime writes the init PID to.
func (rt *Runtime) pidPath() string { return filepath.Join(rt.Bundle, RuntimePIDFile) }

// runtimeError turns a failed runtime subcommand into an error carrying
// the runtime's own message: the last error logged to logPath, else the
// command's output, else how it failed (e.g. "exit status 1"). The
// runtime's "runc <op> failed: " prefix is replaced by "runc <op>: ".
func runtimeError(op, logPath string, output []byte, err error) error {
	msg := lastLoggedError(logPath)
	if msg == "" {
		msg = strings.TrimSpace(string(output))
	}
	if msg == "" {
		return fmt.Errorf("runc %s: %w", op, err)
	}
	msg = strings.TrimPrefix(msg, "runc "+op+" failed: ")
	return fmt.Errorf("runc %s: %s", op, msg)
}

// lastLoggedError returns the msg of the last level-error line of a
// runtime's JSON log, or "".
func lastLoggedError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var msg string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Level == "error" && line.Msg != "" {
			msg = line.Msg
		}
	}
	return msg
}

// notExist reports whether a runtime's message says the container does
// not exist.
func notExist(msg string) bool {
	return strings.Contains(msg, "does not exist") || strings.Contains(msg, "not exist")
}

// deleteContainer runs `runc delete --force`, which kills whatever runs in
// the container and removes its cgroup and runtime state. A container
// that does not exist is not an error.
func deleteContainer(ctx context.Context, rt *Runtime) error {
	out, err := rt.commandContext(ctx, "delete", "--force", rt.ContainerID).CombinedOutput()
	if ctx.Err() != nil && err != nil {
		return fmt.Errorf("runc delete: %w", ctx.Err())
	}
	if err != nil && !notExist(string(out)) {
		return runtimeError("delete", "", out, err)
	}
	return nil
}

// RuntimeStats returns the resource usage of the container rt runs, from
// `runc --root R events --stats ID`.
func RuntimeStats(ctx context.Context, rt *Runtime) (*RuntimeUsage, error) {
	cmd := rt.commandContext(ctx, "events", "--stats", rt.ContainerID)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, runtimeError("events", "", stderr.Bytes(), err)
	}
	return parseRuntimeStats(out)
}

// runtimeEvent is the part of runc's stats event the supervisor reads.
type runtimeEvent struct {
	Type string `json:"type"`
	Data struct {
		CPU struct {
			Usage struct {
				Total  uint64 `json:"total"`
				User   uint64 `json:"user"`
				Kernel uint64 `json:"kernel"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Usage uint64 `json:"usage"`
				Max   uint64 `json:"max"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
	} `json:"data"`
}

// parseRuntimeStats decodes the output of `runc events --stats`.
func parseRuntimeStats(out []byte) (*RuntimeUsage, error) {
	var ev runtimeEvent
	if err := json.Unmarshal(out, &ev); err != nil {
		return nil, fmt.Errorf("runc events: decode stats: %w", err)
	}
	if ev.Type != "stats" {
		return nil, fmt.Errorf("runc events: got a %q event, want stats", ev.Type)
	}
	d := ev.Data
	u := &RuntimeUsage{
		MemoryUsage: d.Memory.Usage.Usage, MemoryMaxUsage: d.Memory.Usage.Max,
		CPUTotal: d.CPU.Usage.Total, CPUUser: d.CPU.Usage.User, CPUKernel: d.CPU.Usage.Kernel,
	}
	for _, key := range []string{"total_rss", "rss", "anon"} {
		if v, ok := d.Memory.Raw[key]; ok {
			u.MemoryRSS = v
			break
		}
	}
	return u, nil
}
