package rawexec

import (
	"slices"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		wantCmd  string
		wantArgs []string
		wantErr  string
	}{
		{name: "command only", config: map[string]any{"command": "/bin/date"}, wantCmd: "/bin/date"},
		{name: "args from HCL", config: map[string]any{"command": "sh", "args": []any{"-c", "echo hi"}},
			wantCmd: "sh", wantArgs: []string{"-c", "echo hi"}},
		{name: "args as strings", config: map[string]any{"command": "sh", "args": []string{"-x"}},
			wantCmd: "sh", wantArgs: []string{"-x"}},
		{name: "numbers and bools become text", config: map[string]any{"command": "srv", "args": []any{"-p", 8080, 1.5, true, int64(7)}},
			wantCmd: "srv", wantArgs: []string{"-p", "8080", "1.5", "true", "7"}},
		{name: "missing command", config: map[string]any{"args": []any{"x"}},
			wantErr: `raw_exec config: missing required field "command"`},
		{name: "nil config", config: nil, wantErr: `missing required field "command"`},
		{name: "empty command", config: map[string]any{"command": ""}, wantErr: `field "command" must not be empty`},
		{name: "command not a string", config: map[string]any{"command": 3}, wantErr: `field "command" must be a string, not int`},
		{name: "args not a list", config: map[string]any{"command": "x", "args": "a b"},
			wantErr: `field "args" must be a list of strings, not string`},
		{name: "arg not a scalar", config: map[string]any{"command": "x", "args": []any{"a", map[string]any{}}},
			wantErr: `args[1] must be a string, not map[string]interface {}`},
		{name: "unknown field", config: map[string]any{"command": "x", "image": "y"},
			wantErr: `unsupported field "image"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(tc.config)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Command != tc.wantCmd || !slices.Equal(got.Args, tc.wantArgs) {
				t.Errorf("config = %+v", got)
			}
		})
	}
}

func TestSpecForTask(t *testing.T) {
	cg := supervise.Cgroups{Mode: supervise.CgroupV1, Parents: map[string]string{"pids": "/cg/pids/wharf"}}
	d := New(Options{Enabled: true, StateDir: "/run/wharf", Cgroups: &cg, SupervisorCommand: []string{"wharf", "supervise"}})
	cfg := &drivers.TaskConfig{ID: "a1/web", TaskName: "web", TaskDir: "/alloc/web", LogDir: "/alloc/logs",
		Env: map[string]string{"B": "2", "A": "1"}, User: "nobody", MemoryMB: 64, MemoryMaxMB: 128, CPUShares: 500,
		LogMaxFiles: 3, LogMaxFileSizeMB: 2}
	spec := d.specFor(cfg, &taskConfig{Command: "sh", Args: []string{"-c", "true"}})
	if !slices.Equal(spec.Env, []string{"A=1", "B=2"}) || spec.Dir != "/alloc/web" || spec.User != "nobody" {
		t.Errorf("spec = %+v", spec)
	}
	if spec.LogName != "web" || spec.LogMaxFiles != 3 || spec.LogMaxBytes != 2<<20 {
		t.Errorf("log settings = %q %d %d", spec.LogName, spec.LogMaxFiles, spec.LogMaxBytes)
	}
	if spec.Cgroup == nil || spec.Cgroup.Dirs["pids"] != "/cg/pids/wharf/a1%2Fweb" ||
		spec.Cgroup.Limits != (supervise.Limits{MemoryMB: 64, MemoryMaxMB: 128, CPUShares: 500}) {
		t.Errorf("cgroup = %+v", spec.Cgroup)
	}
	if dir := d.StateDirFor(cfg.ID); !strings.HasPrefix(dir, "/run/wharf/") || len(dir) != len("/run/wharf/")+16 {
		t.Errorf("state dir = %s", dir)
	}
}
