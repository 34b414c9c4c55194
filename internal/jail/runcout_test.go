package jail

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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

func TestParseStats(t *testing.T) {
	tests := []struct {
		name, out string
		want      Usage
		err       string
	}{
		{"v1", `{"type":"stats","id":"c","data":{"cpu":{"usage":{"total":11349943,"user":10000000,"kernel":0}},
			"memory":{"usage":{"usage":1236992,"max":2760704},"raw":{"rss":4096,"total_rss":520192}}}}`,
			Usage{MemoryUsage: 1236992, MemoryMaxUsage: 2760704, MemoryRSS: 520192, CPUTotal: 11349943, CPUUser: 10000000}, ""},
		{"v1 without total_rss", `{"type":"stats","data":{"memory":{"raw":{"rss":4096}}}}`, Usage{MemoryRSS: 4096}, ""},
		{"v2", `{"type":"stats","data":{"cpu":{"usage":{"total":5,"user":3,"kernel":2}},"memory":{"usage":{"usage":9},"raw":{"anon":7}}}}`,
			Usage{MemoryUsage: 9, MemoryRSS: 7, CPUTotal: 5, CPUUser: 3, CPUKernel: 2}, ""},
		{"not stats", `{"type":"oom","id":"c"}`, Usage{}, `runc events: got a "oom" event, want stats`},
		{"garbage", `nope`, Usage{}, "runc events: decode stats"},
		{"negative", `{"type":"stats","data":{"memory":{"usage":{"usage":-1}}}}`, Usage{}, "runc events: decode stats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStats([]byte(tc.out))
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

func TestParseList(t *testing.T) {
	tests := []struct {
		name, out string
		want      []Container
		err       bool
	}{
		{"empty", "", nil, false},
		{"null", "null\n", nil, false},
		{"two", `[{"id":"a","pid":7,"status":"running","bundle":"/b","rootfs":"/b/rootfs"},{"id":"b","pid":0,"status":"stopped","bundle":"/c"}]`,
			[]Container{{ID: "a", Pid: 7, Status: "running", Bundle: "/b"}, {ID: "b", Status: "stopped", Bundle: "/c"}}, false},
		{"garbage", "{", nil, true},
		{"not a list", `{"id":"a"}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseList([]byte(tc.out))
			if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parse = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}
