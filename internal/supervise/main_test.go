package supervise

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the wharf binary's hidden
// `supervise` command (the supervisor re-exec) and a memory hog task.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "supervise" {
		os.Exit(Main(os.Args[2]))
	}
	if len(os.Args) == 2 && os.Args[1] == "hog" {
		hog()
	}
	os.Exit(m.Run())
}

// hog allocates and touches memory until it is killed.
func hog() {
	var keep [][]byte
	for {
		b := make([]byte, 8<<20)
		for i := range b {
			b[i] = 1
		}
		keep = append(keep, b)
		if len(keep) > 512 {
			os.Exit(3)
		}
	}
}

// requireRoot skips the test when not root, or fails it in CI (which
// runs as root).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test needs root, and CI runs as root")
	}
	t.Skip("needs root (cgroups); CI runs it")
}

// testExe returns the test binary's path.
func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// randomID returns a unique task ID.
func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "alloc-" + hex.EncodeToString(b) + "/web"
}

// testSpec returns a spec for command in fresh directories; its
// environment carries a marker that finds the task's processes.
func testSpec(t *testing.T, cgroups Cgroups, command string, args ...string) (*Spec, string) {
	t.Helper()
	marker := randomID(t)
	root := t.TempDir()
	id := randomID(t)
	spec := &Spec{ID: id, Command: command, Args: args, Dir: root,
		Env:    []string{"PATH=" + os.Getenv("PATH"), "WHARF_TEST_MARKER=" + marker},
		LogDir: filepath.Join(root, "logs"), LogName: "web",
		Cgroup: cgroups.For(id, Limits{MemoryMB: 256})}
	return spec, marker
}

// markedProcesses returns the running processes whose environment holds
// the marker.
func markedProcesses(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !strings.Contains(string(env), "WHARF_TEST_MARKER="+marker+"\x00") {
			continue
		}
		if Alive(pid, 0) {
			out = append(out, pid)
		}
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// launch starts a supervisor for spec and registers a cleanup that kills
// whatever is left.
func launch(t *testing.T, spec *Spec) (*Supervisor, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	sup, err := Launch(context.Background(), []string{testExe(t), "supervise"}, dir, spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = Cleanup(ctx, sup.State) // the supervisor then ends too
	})
	return sup, dir
}

// cgroupSetups returns the containments to test on this host: the
// detected one, v2 in a controller-less unified hierarchy (hybrid hosts),
// and none.
func cgroupSetups(t *testing.T) map[string]Cgroups {
	t.Helper()
	out := map[string]Cgroups{"none": {Mode: CgroupNone}}
	c := DetectCgroups()
	switch {
	case c.Mode != CgroupNone:
		out["detected-"+c.Mode] = c
	case os.Getenv("CI") != "":
		t.Fatalf("no cgroups (%s), and CI runs as root with cgroups", c.Describe())
	default:
		t.Logf("cgroup cases skipped: %s", c.Describe())
	}
	if hybridV2 != nil && c.Mode == CgroupV1 {
		if h, ok := hybridV2(); ok {
			out["v2-hybrid"] = h
		}
	}
	return out
}

// hybridV2 returns v2 containment in the controller-less unified
// hierarchy of a hybrid host, when there is one (set on Linux).
var hybridV2 func() (Cgroups, bool)

// readLog returns the content of a task's first log file of a stream.
func readLog(t *testing.T, spec *Spec, stream string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(spec.LogDir, spec.LogName+"."+stream+".0"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
