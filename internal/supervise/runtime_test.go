package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSpecValidateRuntime(t *testing.T) {
	full := func() *Spec {
		return &Spec{ID: "a/web", LogDir: "/logs", LogName: "web",
			Runtime: &Runtime{Path: "/usr/sbin/runc", Root: "/run/wharf", Bundle: "/b", ContainerID: "c"}}
	}
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no command or dir needed", func(*Spec) {}, ""},
		{"cgroup mode none allowed", func(s *Spec) { s.Cgroup = &Cgroup{Mode: CgroupNone} }, ""},
		{"no path", func(s *Spec) { s.Runtime.Path = "" }, "spec: runtime path is required"},
		{"no root", func(s *Spec) { s.Runtime.Root = "" }, "spec: runtime root is required"},
		{"no bundle", func(s *Spec) { s.Runtime.Bundle = "" }, "spec: runtime bundle is required"},
		{"no container id", func(s *Spec) { s.Runtime.ContainerID = "" }, "spec: runtime container_id is required"},
		{"a cgroup", func(s *Spec) { s.Cgroup = &Cgroup{Mode: CgroupV1} },
			"spec: cgroup must be unset with runtime: the runtime makes the container's cgroup"},
		{"no logs", func(s *Spec) { s.LogDir = "" }, "spec: log_dir and log_name are required"},
		{"without runtime, command", func(s *Spec) { s.Runtime = nil }, "spec: command is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := full()
			tc.edit(s)
			err := s.Validate()
			if got := errString(err); got != tc.want {
				t.Errorf("Validate = %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRuntimeError(t *testing.T) {
	dir := t.TempDir()
	logged := filepath.Join(dir, "runc.log")
	lines := `{"level":"warning","msg":"something odd","time":"2026-01-01T00:00:00Z"}
not json
{"level":"error","msg":"runc create failed: unable to start container process: exec: \"/x\": stat /x: no such file or directory","time":"2026-01-01T00:00:00Z"}
`
	if err := os.WriteFile(logged, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	quiet := filepath.Join(dir, "quiet.log")
	if err := os.WriteFile(quiet, []byte(`{"level":"info","msg":"hi"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exit1 := errors.New("exit status 1")
	tests := []struct {
		name, log, output, want string
	}{
		{"logged error", logged, "ignored", `runc create: unable to start container process: exec: "/x": stat /x: no such file or directory`},
		{"output when nothing logged", quiet, "  container \"c\" already exists\n", `runc create: container "c" already exists`},
		{"no log file", filepath.Join(dir, "none"), "boom", "runc create: boom"},
		{"nothing at all", "", "", "runc create: exit status 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runtimeError("create", tc.log, []byte(tc.output), exit1)
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRuntimeStats(t *testing.T) {
	tests := []struct {
		name, out string
		want      RuntimeUsage
		err       string
	}{
		{"v1", `{"type":"stats","id":"c","data":{"cpu":{"usage":{"total":11349943,"user":10000000,"kernel":0}},
			"memory":{"usage":{"usage":1236992,"max":2760704},"raw":{"rss":4096,"total_rss":520192}}}}`,
			RuntimeUsage{MemoryUsage: 1236992, MemoryMaxUsage: 2760704, MemoryRSS: 520192, CPUTotal: 11349943, CPUUser: 10000000}, ""},
		{"v1 without total_rss", `{"type":"stats","data":{"memory":{"raw":{"rss":4096}}}}`, RuntimeUsage{MemoryRSS: 4096}, ""},
		{"v2", `{"type":"stats","data":{"cpu":{"usage":{"total":5,"user":3,"kernel":2}},"memory":{"usage":{"usage":9},"raw":{"anon":7}}}}`,
			RuntimeUsage{MemoryUsage: 9, MemoryRSS: 7, CPUTotal: 5, CPUUser: 3, CPUKernel: 2}, ""},
		{"not stats", `{"type":"oom","id":"c"}`, RuntimeUsage{}, `runc events: got a "oom" event, want stats`},
		{"garbage", `nope`, RuntimeUsage{}, "runc events: decode stats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRuntimeStats([]byte(tc.out))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || *got != tc.want {
				t.Errorf("parse = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestRuntimeCommand(t *testing.T) {
	rt := &Runtime{Path: "/usr/sbin/runc", Root: "/run/wharf/runc", Bundle: "/b", ContainerID: "c"}
	cmd := rt.Command("exec", "-t", "c", "sh")
	want := []string{"/usr/sbin/runc", "--root", "/run/wharf/runc", "exec", "-t", "c", "sh"}
	if cmd.Path != "/usr/sbin/runc" || !slices.Equal(cmd.Args, want) {
		t.Errorf("command = %s %v, want %v", cmd.Path, cmd.Args, want)
	}
}
