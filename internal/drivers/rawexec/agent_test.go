package rawexec_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

// agentInput is what the test binary's "agent" mode runs.
type agentInput struct {
	Options rawexec.Options
	Config  *drivers.TaskConfig
}

// runAgent is the test binary as an agent: it starts one task through a
// raw_exec driver, prints the handle as a JSON line, and waits to be
// killed.
func runAgent(path string) int {
	var in agentInput
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	h, err := rawexec.New(in.Options).StartTask(context.Background(), in.Config)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(h); err != nil {
		return 1
	}
	select {}
}

// newTaskConfig returns a task running config in fresh directories.
func newTaskConfig(t testing.TB, config map[string]any) *drivers.TaskConfig {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	id := "rawexec-" + hex.EncodeToString(b) + "/web"
	return &drivers.TaskConfig{ID: id, TaskName: "web", Config: config,
		Env:     map[string]string{"PATH": os.Getenv("PATH"), driverstest.MarkerEnv: id},
		TaskDir: root, LogDir: filepath.Join(root, "logs"), MemoryMB: 64}
}

// startInAgent starts cfg from an agent process, kills that agent's whole
// process group with SIGKILL, and returns the handle it printed.
func startInAgent(t *testing.T, opts rawexec.Options, cfg *drivers.TaskConfig) *drivers.TaskHandle {
	t.Helper()
	input := filepath.Join(t.TempDir(), "agent.json")
	data, _ := json.Marshal(agentInput{Options: opts, Config: cfg})
	if err := os.WriteFile(input, data, 0o600); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	agent := exec.Command(exe, "agent", input)
	agent.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	agent.Stderr = os.Stderr
	out, _ := agent.StdoutPipe()
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	var h drivers.TaskHandle
	if err == nil {
		err = json.Unmarshal(line, &h)
	}
	if err != nil {
		_ = agent.Process.Kill()
		t.Fatalf("agent printed no handle: %v", err)
	}
	waitLog(t, cfg, "stdout", "ready")
	if err := syscall.Kill(-agent.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = agent.Wait()
	return &h
}

// waitLog waits until a task's log holds text.
func waitLog(t *testing.T, cfg *drivers.TaskConfig, stream, text string) {
	t.Helper()
	path := filepath.Join(cfg.LogDir, cfg.TaskName+"."+stream+".0")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, _ := os.ReadFile(path); strings.Contains(string(data), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held %q", path, text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTaskSurvivesAgentKilledAndIsRecovered(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions(t, &cg)
			cfg := newTaskConfig(t, shell(`trap "echo got-usr1" USR1; sleep 1000 & echo ready; while :; do wait; done`))
			h := startInAgent(t, opts, cfg)
			// The background sleep may still be starting on a busy machine.
			deadline := time.Now().Add(5 * time.Second)
			for len(driverstest.ProcessesOf(cfg)) != 2 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := len(driverstest.ProcessesOf(cfg)); n != 2 {
				t.Fatalf("%d processes of the task run after the agent was killed, want 2", n)
			}
			d := rawexec.New(opts)
			if err := d.RecoverTask(context.Background(), h); err != nil {
				t.Fatalf("RecoverTask: %v", err)
			}
			t.Cleanup(func() { _ = d.DestroyTask(context.Background(), cfg.ID, true) })
			if st, err := d.InspectTask(context.Background(), cfg.ID); err != nil || st.State != drivers.TaskStateRunning {
				t.Fatalf("recovered task: %+v, %v", st, err)
			}
			// The supervisor still owns the logs: output after the
			// restart lands in the same file.
			if err := d.SignalTask(context.Background(), cfg.ID, "SIGUSR1"); err != nil {
				t.Fatal(err)
			}
			waitLog(t, cfg, "stdout", "got-usr1")
			if err := d.StopTask(context.Background(), cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
				t.Fatal(err)
			}
			if err := d.DestroyTask(context.Background(), cfg.ID, false); err != nil {
				t.Fatal(err)
			}
			if left := leftovers(t, d, cfg); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

func TestSupervisorKilledWhileAgentDown(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions(t, &cg)
			cfg := newTaskConfig(t, configFor(driverstest.KindTree))
			h := startInAgent(t, opts, cfg)
			var ds rawexec.DriverState
			if err := json.Unmarshal(h.DriverState, &ds); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(ds.SupervisorPID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitGone(t, &ds.State)
			d := rawexec.New(opts)
			if err := d.RecoverTask(context.Background(), h); err != nil {
				t.Fatalf("RecoverTask: %v", err)
			}
			r := waitResult(t, d, cfg.ID)
			if r.Err == nil || !strings.Contains(r.Err.Error(), "supervisor died") || r.Successful() {
				t.Errorf("exit = %+v, want the supervisor's death", r)
			}
			if err := d.DestroyTask(context.Background(), cfg.ID, false); err != nil {
				t.Fatal(err)
			}
			if left := leftovers(t, d, cfg); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// waitGone waits until the supervisor has exited.
func waitGone(t *testing.T, st *supervise.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for supervise.SupervisorAlive(st) {
		if time.Now().After(deadline) {
			t.Fatal("supervisor survives SIGKILL")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitResult waits for a task's exit.
func waitResult(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r == nil {
		t.Fatal("no exit")
	}
	return r
}

// TestWharfBinarySupervises runs tasks through the production path: the
// real wharf binary's hidden `supervise` command.
func TestWharfBinarySupervises(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wharf binary")
	}
	bin := filepath.Join(t.TempDir(), "wharf")
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", bin, "./cmd/wharf")
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/wharf: %v\n%s", err, out)
	}
	cg := supervise.DetectCgroups()
	d := rawexec.New(rawexec.Options{Enabled: true, StateDir: stateRoot(t),
		SupervisorCommand: []string{bin, "supervise"}, Cgroups: &cg})
	ctx := context.Background()

	bad := newTaskConfig(t, map[string]any{"command": "wharf-nosuch"})
	if _, err := d.StartTask(ctx, bad); err == nil || err.Error() != startError {
		t.Errorf("bad command: %v, want %q", err, startError)
	}

	cfg := newTaskConfig(t, configFor(driverstest.KindTree))
	if _, err := d.StartTask(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx, cfg.ID, true) })
	waitLog(t, cfg, "stdout", "ready")
	if err := d.StopTask(ctx, cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, d, cfg.ID); r.Signal != 15 {
		t.Errorf("exit = %+v, want SIGTERM", r)
	}
	if err := d.DestroyTask(ctx, cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, d, cfg); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
