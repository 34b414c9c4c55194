// Package driverstest is the conformance suite every task driver passes
// (containerd's snapshotter test suite is the model): one Run call drives
// a driver through start, wait, exit codes, output, stop with a signal
// then a kill after the timeout, signals, destroy, recovery by a new
// Driver value (as after an agent restart), verbatim start errors, and
// checks that nothing is left behind.
//
// A driver's test provides a Harness: how to make the driver, and the
// driver config block for each kind of task the suite needs.
//
// driverstest must only be imported by tests; it must never import
// internal/client, internal/server or internal/state.
package driverstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/tasklog"
)

// Kinds of task the suite asks Harness.Config for.
const (
	// KindExitZero exits 0 at once.
	KindExitZero = "exit_zero"
	// KindExitCode exits with code 3 at once.
	KindExitCode = "exit_code_3"
	// KindOutput writes OutStdout to stdout and OutStderr to stderr,
	// then exits 0 (used only when Harness.Logs).
	KindOutput = "output"
	// KindRun prints "ready" and runs until stopped; SIGTERM ends it.
	KindRun = "run"
	// KindIgnoreTerm prints "ready" once it ignores SIGTERM, and runs
	// until killed.
	KindIgnoreTerm = "ignore_term"
	// KindTree starts a background child, prints "ready", and runs until
	// stopped: stopping it must end the child too.
	KindTree = "tree"
	// KindSignal prints "ready" once SIGHUP makes it exit with code 7.
	KindSignal = "signal"
	// KindBadCommand cannot be started; StartTask fails with
	// Harness.StartError.
	KindBadCommand = "bad_command"
)

// What KindOutput writes.
const (
	OutStdout = "driverstest stdout\n"
	OutStderr = "driverstest stderr\n"
)

// MarkerEnv is set in every task's environment to the task's ID, so that
// a harness can find the task's processes (see ProcessesOf).
const MarkerEnv = "WHARF_DRIVERSTEST_TASK"

// Harness is what the suite needs from a driver's test.
type Harness struct {
	// New returns a driver for a fresh node: its state (state dirs,
	// cgroups...) private to the test t.
	New func(t *testing.T) drivers.Driver
	// Reopen returns the Driver value a restarted agent would make on the
	// same node as old (same options, same state). A driver whose tasks
	// live in memory returns old.
	Reopen func(t *testing.T, old drivers.Driver) drivers.Driver
	// Config returns the task's driver config block for a kind of task.
	Config func(kind string) map[string]any
	// StartError is the exact error text StartTask returns for
	// KindBadCommand.
	StartError string
	// Logs says the driver writes task output to LogDir as
	// <task>.stdout.N / <task>.stderr.N; the suite then checks the
	// output and waits for "ready" before stopping or signalling.
	Logs bool
	// Leftovers lists what a task left behind (processes, cgroups, state
	// files), empty when nothing; nil skips the checks.
	Leftovers func(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) []string
}

// timeout bounds every wait of the suite.
const timeout = 30 * time.Second

// Run runs the conformance suite against the harness's driver.
func Run(t *testing.T, h Harness) {
	s := &suite{h: h}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Fingerprint", s.testFingerprint},
		{"StartWaitExitZero", s.testStartWaitExitZero},
		{"ExitCode", s.testExitCode},
		{"Output", s.testOutput},
		{"WaitTwiceAndAfterExit", s.testWaitTwice},
		{"WaitContextCanceled", s.testWaitCanceled},
		{"StartErrorVerbatim", s.testStartError},
		{"StartTwiceSameID", s.testStartTwice},
		{"UnknownTask", s.testUnknownTask},
		{"StopWithSignal", s.testStopWithSignal},
		{"StopKillsAfterTimeout", s.testStopKillsAfterTimeout},
		{"StopEndedTask", s.testStopEnded},
		{"StopKillsTree", s.testStopKillsTree},
		{"SignalTask", s.testSignal},
		{"DestroyRunningNeedsForce", s.testDestroyForce},
		{"RecoverRunning", s.testRecoverRunning},
		{"RecoverExited", s.testRecoverExited},
		{"RecoverDestroyed", s.testRecoverDestroyed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}

// suite holds the harness for the tests.
type suite struct{ h Harness }

// taskConfig returns a task of the given kind with fresh directories.
func (s *suite) taskConfig(t *testing.T, kind string) *drivers.TaskConfig {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	alloc := "driverstest-" + hex.EncodeToString(b)
	root := t.TempDir()
	taskDir, logDir := filepath.Join(root, "web"), filepath.Join(root, "alloc", "logs")
	for _, d := range []string{taskDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	id := alloc + "/web"
	return &drivers.TaskConfig{ID: id, AllocID: alloc, JobID: "driverstest", TaskGroupName: "group",
		TaskName: "web", Config: s.h.Config(kind),
		Env:      map[string]string{"PATH": os.Getenv("PATH"), MarkerEnv: id},
		MemoryMB: 128, CPUShares: 100, AllocDir: root, TaskDir: taskDir,
		LogDir: logDir, LogMaxFiles: 2, LogMaxFileSizeMB: 1}
}

// start starts a task and registers a forced destroy at the end of t.
func (s *suite) start(t *testing.T, d drivers.Driver, kind string) (*drivers.TaskConfig, *drivers.TaskHandle) {
	t.Helper()
	cfg := s.taskConfig(t, kind)
	h, err := d.StartTask(ctx(t), cfg)
	if err != nil {
		t.Fatalf("StartTask(%s): %v", kind, err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(context.Background(), cfg.ID, true) })
	return cfg, h
}

// ctx returns a context that ends with the suite's timeout.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// waitExit waits for the task's exit.
func waitExit(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ch, err := d.WaitTask(ctx(t), id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	r, ok := <-ch
	if !ok || r == nil {
		t.Fatalf("WaitTask yielded no exit within %s", timeout)
	}
	return r
}

// waitReady waits until the task printed "ready" (when the driver has
// logs; otherwise the task is ready once started).
func (s *suite) waitReady(t *testing.T, cfg *drivers.TaskConfig) {
	t.Helper()
	if !s.h.Logs {
		return
	}
	path := filepath.Join(cfg.LogDir, tasklog.FileName(cfg.TaskName, tasklog.Stdout, 0))
	deadline := time.Now().Add(timeout)
	for {
		if data, _ := os.ReadFile(path); strings.Contains(string(data), "ready") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task did not print ready in %s", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// assertClean checks the harness finds nothing left of the task.
func (s *suite) assertClean(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) {
	t.Helper()
	if s.h.Leftovers == nil {
		return
	}
	if left := s.h.Leftovers(t, d, cfg); len(left) > 0 {
		t.Errorf("task %s left behind: %s", cfg.ID, strings.Join(left, "; "))
	}
}

// ProcessesOf returns the PIDs of the running processes (zombies aside)
// whose environment carries the task's MarkerEnv, found through /proc.
// Where there is no /proc it returns nil: harnesses there need another
// way to find leftovers.
func ProcessesOf(cfg *drivers.TaskConfig) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := MarkerEnv + "=" + cfg.ID + "\x00"
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !strings.Contains("\x00"+string(env), "\x00"+want) {
			continue
		}
		if running(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// running reports whether pid is not a zombie.
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	state := data[i+2]
	return state != 'Z' && state != 'X'
}

// DescribeProcesses renders PIDs as leftovers ("process 123 (sleep)").
func DescribeProcesses(pids []int) []string {
	out := make([]string, 0, len(pids))
	for _, pid := range pids {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		out = append(out, fmt.Sprintf("process %d (%s)", pid, strings.TrimSpace(string(comm))))
	}
	return out
}
