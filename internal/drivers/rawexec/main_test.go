package rawexec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

// TestMain lets the test binary play the wharf binary's hidden
// `supervise` command, and an agent process that the tests kill.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "supervise" {
		os.Exit(supervise.Main(os.Args[2]))
	}
	if len(os.Args) == 3 && os.Args[1] == "agent" {
		os.Exit(runAgent(os.Args[2]))
	}
	os.Exit(m.Run())
}

// stateRoot returns a short state directory for a driver (unix socket
// paths are limited to 103 bytes; t.TempDir paths can be long).
func stateRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// testOptions returns enabled options whose supervisor is this test
// binary.
func testOptions(t testing.TB, cgroups *supervise.Cgroups) rawexec.Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return rawexec.Options{Enabled: true, StateDir: stateRoot(t),
		SupervisorCommand: []string{exe, "supervise"}, Cgroups: cgroups}
}

// shell is a config block running a shell script.
func shell(script string) map[string]any {
	return map[string]any{"command": "sh", "args": []any{"-c", script}}
}

// startError is the verbatim error of the bad command.
const startError = `exec: "wharf-nosuch": executable file not found in $PATH`

// configFor returns raw_exec configs for the suite's kinds of task.
func configFor(kind string) map[string]any {
	switch kind {
	case driverstest.KindExitZero:
		return shell("exit 0")
	case driverstest.KindExitCode:
		return shell("exit 3")
	case driverstest.KindOutput:
		return shell(`printf 'driverstest stdout\n'; printf 'driverstest stderr\n' >&2`)
	case driverstest.KindRun:
		return shell("echo ready; exec sleep 1000")
	case driverstest.KindIgnoreTerm:
		return shell(`trap "" TERM; echo ready; sleep 1000`)
	case driverstest.KindTree:
		return shell("sleep 1000 & echo ready; sleep 1000")
	case driverstest.KindSignal:
		return shell(`trap "exit 7" HUP; sleep 1000 & echo ready; wait`)
	case driverstest.KindBadCommand:
		return map[string]any{"command": "wharf-nosuch"}
	}
	panic("unknown kind " + kind)
}

// leftovers lists the task's running processes, state dir and cgroup.
func leftovers(_ *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) []string {
	rd := d.(*rawexec.Driver)
	out := driverstest.DescribeProcesses(driverstest.ProcessesOf(cfg))
	if dir := rd.StateDirFor(cfg.ID); exists(dir) {
		out = append(out, "state dir "+dir)
	}
	if cg := rd.Cgroups().For(cfg.ID, supervise.Limits{}); cg != nil && cg.Exists() {
		out = append(out, "cgroup "+cg.String())
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// harness returns the conformance harness for one containment.
func harness(cgroups supervise.Cgroups) driverstest.Harness {
	return driverstest.Harness{
		New: func(t *testing.T) drivers.Driver { return rawexec.New(testOptions(t, &cgroups)) },
		Reopen: func(_ *testing.T, old drivers.Driver) drivers.Driver {
			return rawexec.New(old.(*rawexec.Driver).Options())
		},
		Config:     configFor,
		StartError: startError,
		Logs:       true,
		Leftovers:  leftovers,
	}
}

// cgroupSetups returns the containments to test here: the detected one,
// v2 in a hybrid host's controller-less unified hierarchy, and none. CI
// (root) must have a real one.
func cgroupSetups(t *testing.T) map[string]supervise.Cgroups {
	t.Helper()
	out := map[string]supervise.Cgroups{"none": {Mode: supervise.CgroupNone, Reason: "forced by the test"}}
	detected := supervise.DetectCgroups()
	if detected.Mode != supervise.CgroupNone {
		out["detected-"+detected.Mode] = detected
	} else if os.Getenv("CI") != "" {
		t.Fatalf("no cgroups (%s), and CI runs as root with cgroups", detected.Describe())
	} else {
		t.Logf("cgroup tests skipped: %s", detected.Describe())
	}
	if os.Geteuid() == 0 && detected.Mode == supervise.CgroupV1 {
		if root := unifiedMount(); root != "" {
			out["v2-hybrid"] = supervise.Cgroups{Mode: supervise.CgroupV2, Root: root,
				Parents: map[string]string{supervise.V2Key: filepath.Join(root, "wharf")}}
		}
	}
	return out
}

// unifiedMount returns the cgroup2 mount of a hybrid host, if any.
func unifiedMount() string {
	const p = "/sys/fs/cgroup/unified"
	if exists(filepath.Join(p, "cgroup.procs")) {
		return p
	}
	return ""
}

func TestConformance(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			driverstest.Run(t, harness(cg))
		})
	}
}
