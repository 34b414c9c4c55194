package supervise

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitExit waits for the task's exit through the socket.
func waitExit(t *testing.T, dir string) *Exit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ex, err := Client{Dir: dir}.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return ex
}

// assertNothingLeft checks that no process of the task runs and its cgroup
// is gone.
func assertNothingLeft(t *testing.T, spec *Spec, marker string) {
	t.Helper()
	waitFor(t, "the task's processes to end", func() bool { return len(markedProcesses(marker)) == 0 })
	if spec.Cgroup != nil && spec.Cgroup.Exists() {
		t.Errorf("cgroup %v still exists", spec.Cgroup.Dirs)
	}
}

func TestSupervisorRunsTaskToItsExit(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, marker := testSpec(t, cg, "sh", "-c", `echo out; echo err >&2; head -c 3000 /dev/zero >&2; exit 3`)
			spec.LogMaxBytes = 1000
			sup, dir := launch(t, spec)
			if sup.State.TaskPID <= 0 || sup.State.SupervisorPID <= 0 || sup.State.StartedAt.IsZero() {
				t.Errorf("state = %+v", sup.State)
			}
			ex := waitExit(t, dir)
			if ex.ExitCode != 3 || ex.Signal != 0 || ex.OOMKilled || ex.Err != "" {
				t.Errorf("exit = %+v, want code 3", ex)
			}
			<-sup.Exited
			if rec, err := ReadExit(dir); err != nil || rec.ExitCode != 3 {
				t.Errorf("recorded exit = %+v, %v", rec, err)
			}
			if _, err := os.Stat(filepath.Join(dir, SocketFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket left after exit: %v", err)
			}
			if got := readLog(t, spec, "stdout"); got != "out\n" {
				t.Errorf("stdout = %q", got)
			}
			for i, want := range []int{1000, 1000, 1000, 4} {
				fi, err := os.Stat(filepath.Join(spec.LogDir, "web.stderr."+string(rune('0'+i))))
				if err != nil || fi.Size() != int64(want) {
					t.Errorf("web.stderr.%d: %v, want %d bytes", i, err, want)
				}
			}
			assertNothingLeft(t, spec, marker)
		})
	}
}

func TestSupervisorStartErrorsAreVerbatim(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, command, dir, want string
	}{
		{"not in PATH", "wharf-no-such-command", "", `exec: "wharf-no-such-command": executable file not found in $PATH`},
		{"missing path", "/nonexistent/cmd", "", "fork/exec /nonexistent/cmd: no such file or directory"},
		{"not executable", notExec, "", "fork/exec " + notExec + ": permission denied"},
		{"missing dir", "sh", "/nonexistent-task-dir", "task dir: stat /nonexistent-task-dir: no such file or directory"},
	}
	for name, cg := range cgroupSetups(t) {
		for _, tc := range tests {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				spec, _ := testSpec(t, cg, tc.command)
				if tc.dir != "" {
					spec.Dir = tc.dir
				}
				dir := filepath.Join(t.TempDir(), "state")
				_, err := Launch(context.Background(), []string{testExe(t), "supervise"}, dir, spec)
				if err == nil || err.Error() != tc.want {
					t.Fatalf("Launch error = %v, want %q", err, tc.want)
				}
				if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("state dir left behind: %v", err)
				}
				if spec.Cgroup != nil && spec.Cgroup.Exists() {
					t.Errorf("cgroup left behind: %v", spec.Cgroup.Dirs)
				}
			})
		}
	}
}

func TestSupervisorResolvesCommands(t *testing.T) {
	tests := []struct {
		name, command string
		env           []string
	}{
		{"relative to the task dir", "local/run.sh", nil},
		{"in the task's PATH", "run.sh", []string{"PATH=/nonexistent:LOCAL"}},
		{"default PATH without one", "sh", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, _ := testSpec(t, Cgroups{Mode: CgroupNone}, tc.command, "-c", "exit 5")
			local := filepath.Join(spec.Dir, "local")
			if err := os.MkdirAll(local, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(local, "run.sh"), []byte("#!/bin/sh\nexit 5\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.env != nil {
				spec.Env = nil
				for _, e := range tc.env {
					spec.Env = append(spec.Env, strings.ReplaceAll(e, "LOCAL", local))
				}
			}
			_, dir := launch(t, spec)
			if ex := waitExit(t, dir); ex.ExitCode != 5 {
				t.Errorf("exit = %+v, want 5", ex)
			}
		})
	}
}

func TestSupervisorStopKillsTheWholeTree(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, marker := testSpec(t, cg, "sh", "-c", `sleep 1000 & echo ready; sleep 1000`)
			_, dir := launch(t, spec)
			waitFor(t, "the task to be ready", func() bool { return strings.Contains(readLog(t, spec, "stdout"), "ready") })
			waitFor(t, "sh and its two sleeps", func() bool { return len(markedProcesses(marker)) == 3 })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ex, err := Client{Dir: dir}.Stop(ctx, syscall.SIGTERM, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Signal != int(syscall.SIGTERM) || ex.ExitCode != 128+int(syscall.SIGTERM) {
				t.Errorf("exit = %+v, want SIGTERM", ex)
			}
			assertNothingLeft(t, spec, marker)
		})
	}
}

func TestSupervisorStopEscalatesToKill(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, marker := testSpec(t, cg, "sh", "-c", `trap "" TERM; echo ready; sleep 1000`)
			_, dir := launch(t, spec)
			waitFor(t, "the task to be ready", func() bool { return strings.Contains(readLog(t, spec, "stdout"), "ready") })
			ex, err := Client{Dir: dir}.Stop(context.Background(), syscall.SIGTERM, 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Signal != int(syscall.SIGKILL) {
				t.Errorf("exit = %+v, want SIGKILL", ex)
			}
			assertNothingLeft(t, spec, marker)
		})
	}
}

func TestSupervisorSignalsTheTask(t *testing.T) {
	spec, marker := testSpec(t, DetectCgroups(), "sh", "-c", `trap "exit 7" HUP; sleep 1000 & echo ready; wait`)
	_, dir := launch(t, spec)
	waitFor(t, "the task to be ready", func() bool { return strings.Contains(readLog(t, spec, "stdout"), "ready") })
	c := Client{Dir: dir}
	st, err := c.Status(context.Background())
	if err != nil || !st.Running || st.TaskPID <= 0 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if err := c.Signal(context.Background(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if ex := waitExit(t, dir); ex.ExitCode != 7 || ex.Signal != 0 {
		t.Errorf("exit = %+v, want code 7", ex)
	}
	assertNothingLeft(t, spec, marker)
}

func TestSupervisorKilledByHandLeavesCleanup(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, marker := testSpec(t, cg, "sh", "-c", `sleep 1000 & echo ready; sleep 1000`)
			sup, dir := launch(t, spec)
			waitFor(t, "the task to be ready", func() bool { return strings.Contains(readLog(t, spec, "stdout"), "ready") })
			if err := syscall.Kill(sup.State.SupervisorPID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-sup.Exited
			if SupervisorAlive(sup.State) {
				t.Error("supervisor reported alive after it was killed")
			}
			if _, err := ReadExit(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("exit recorded by a killed supervisor: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := Cleanup(ctx, sup.State); err != nil {
				t.Fatal(err)
			}
			assertNothingLeft(t, spec, marker)
		})
	}
}

func TestSupervisorTerminatedStopsItsTask(t *testing.T) {
	spec, marker := testSpec(t, DetectCgroups(), "sh", "-c", `echo ready; sleep 1000`)
	sup, dir := launch(t, spec)
	waitFor(t, "the task to be ready", func() bool { return strings.Contains(readLog(t, spec, "stdout"), "ready") })
	if err := syscall.Kill(sup.State.SupervisorPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-sup.Exited
	ex, err := ReadExit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Signal != int(syscall.SIGTERM) || !strings.Contains(ex.Err, "supervisor received terminated") {
		t.Errorf("exit = %+v", ex)
	}
	assertNothingLeft(t, spec, marker)
}

func TestSupervisorRunsInItsOwnSession(t *testing.T) {
	spec, _ := testSpec(t, Cgroups{Mode: CgroupNone}, "sleep", "1000")
	sup, dir := launch(t, spec)
	defer Client{Dir: dir}.Stop(context.Background(), syscall.SIGKILL, 0)
	pgid, err := syscall.Getpgid(sup.State.SupervisorPID)
	if err != nil {
		t.Fatal(err)
	}
	if pgid != sup.State.SupervisorPID || pgid == syscall.Getpgrp() {
		t.Errorf("supervisor pgid = %d, want its own pid %d (ours is %d)", pgid, sup.State.SupervisorPID, syscall.Getpgrp())
	}
	if tpgid, _ := syscall.Getpgid(sup.State.TaskPID); tpgid != sup.State.TaskPID {
		t.Errorf("task pgid = %d, want its own pid %d", tpgid, sup.State.TaskPID)
	}
}

func TestSupervisorRunsTaskAsUser(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("id"); err != nil {
		t.Skip("no id command")
	}
	spec, _ := testSpec(t, DetectCgroups(), "id", "-u")
	spec.User = "nobody"
	// The user must be able to enter its working directory.
	for _, d := range []string{spec.Dir, filepath.Dir(spec.Dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, dir := launch(t, spec)
	if ex := waitExit(t, dir); ex.ExitCode != 0 {
		t.Fatalf("exit = %+v", ex)
	}
	if got := strings.TrimSpace(readLog(t, spec, "stdout")); got == "0" || got == "" {
		t.Errorf("task ran as uid %q, want nobody's", got)
	}
}

func TestSupervisorReportsOOMKill(t *testing.T) {
	requireRoot(t)
	cg := DetectCgroups()
	controllers, _ := os.ReadFile(filepath.Join(cg.Root, "cgroup.controllers"))
	hasV2Memory := cg.Mode == CgroupV2 && strings.Contains(string(controllers), "memory")
	if cg.Parents["memory"] == "" && !hasV2Memory {
		if os.Getenv("CI") != "" {
			t.Fatalf("no memory controller (%s), and CI has one", cg.Describe())
		}
		t.Skipf("no memory controller: %s", cg.Describe())
	}
	spec, marker := testSpec(t, cg, testExe(t), "hog")
	spec.Cgroup.Limits = Limits{MemoryMB: 32}
	_, dir := launch(t, spec)
	ex := waitExit(t, dir)
	if !ex.OOMKilled || ex.Signal != int(syscall.SIGKILL) {
		t.Errorf("exit = %+v, want OOM killed", ex)
	}
	assertNothingLeft(t, spec, marker)
}
