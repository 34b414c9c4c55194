package rawexec

import (
	"fmt"
	"path"
	"slices"
	"strconv"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// taskConfig is a raw_exec task's driver config block.
type taskConfig struct {
	Command string
	Args    []string
}

// parseConfig reads the config block: `command` (required, a string) and
// `args` (a list of strings; numbers and bools are taken in their text
// form, as Nomad's HCL conversion does). Errors name the field.
func parseConfig(m map[string]any) (*taskConfig, error) {
	for k := range m {
		if k != "command" && k != "args" {
			return nil, fmt.Errorf("raw_exec config: unsupported field %q (raw_exec takes command and args)", k)
		}
	}
	cmd, ok := m["command"]
	if !ok || cmd == nil {
		return nil, fmt.Errorf("raw_exec config: missing required field %q", "command")
	}
	s, ok := cmd.(string)
	if !ok {
		return nil, fmt.Errorf("raw_exec config: field %q must be a string, not %T", "command", cmd)
	}
	if s == "" {
		return nil, fmt.Errorf("raw_exec config: field %q must not be empty", "command")
	}
	args, err := parseArgs(m["args"])
	if err != nil {
		return nil, err
	}
	return &taskConfig{Command: s, Args: args}, nil
}

// parseArgs reads the args list.
func parseArgs(v any) ([]string, error) {
	switch a := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return slices.Clone(a), nil
	case []any:
		out := make([]string, len(a))
		for i, e := range a {
			s, ok := scalarText(e)
			if !ok {
				return nil, fmt.Errorf("raw_exec config: args[%d] must be a string, not %T", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("raw_exec config: field %q must be a list of strings, not %T", "args", v)
}

// scalarText returns a string, number or bool as text.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// specFor builds the supervisor's Spec for a task.
func (d *Driver) specFor(cfg *drivers.TaskConfig, tc *taskConfig) *supervise.Spec {
	name := cfg.TaskName
	if name == "" {
		name = path.Base(cfg.ID)
	}
	spec := &supervise.Spec{
		ID: cfg.ID, Command: tc.Command, Args: tc.Args, Env: envList(cfg.Env),
		Dir: cfg.TaskDir, User: cfg.User,
		LogDir: cfg.LogDir, LogName: name, LogMaxFiles: cfg.LogMaxFiles,
		LogMaxBytes: int64(cfg.LogMaxFileSizeMB) << 20,
	}
	spec.Cgroup = d.cgroups.For(cfg.ID, supervise.Limits{
		MemoryMB: cfg.MemoryMB, MemoryMaxMB: cfg.MemoryMaxMB, CPUShares: cfg.CPUShares})
	return spec
}

// envList turns the environment into sorted KEY=value strings.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
