package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// rawJob writes a raw_exec service job whose task runs script in sh,
// tagged with marker so the test can find its processes.
func rawJob(t *testing.T, id, marker, script string, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), id+".nomad")
	src := fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  group "g" {
    network {
      port "http" {}
    }
%s
    task "t" {
      driver = "raw_exec"
      env { MARKER = %q }
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
    }
  }
}
`, id, extra, marker, script)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// markerPIDs lists processes whose environment carries MARKER=marker.
func markerPIDs(marker string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && strings.Contains(string(env), "MARKER="+marker+"\x00") {
			out = append(out, pid)
		}
	}
	return out
}

func runningAllocs(t *testing.T, c *api.Client, job string) []*structs.AllocListStub {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(job, false, nil)
	if err != nil {
		return nil
	}
	var out []*structs.AllocListStub
	for _, a := range allocs {
		if a.ClientStatus == structs.AllocClientStatusRunning && a.DesiredStatus == structs.AllocDesiredStatusRun {
			out = append(out, a)
		}
	}
	return out
}

// TestRawExecLifecycle runs a raw_exec job on the dev agent: running, its
// logs through the CLI and Nomad's client, scale up and down, stop, and
// nothing left behind.
func TestRawExecLifecycle(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	marker := fmt.Sprintf("life-%d", time.Now().UnixNano())
	job := rawJob(t, "life", marker, `echo "hello from $NOMAD_ALLOC_ID on port $NOMAD_PORT_http"; while true; do sleep 1; done`, "")
	if out, code := run(t, a.addr, "job", "run", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "life")) == 1 })
	first := runningAllocs(t, c, "life")[0]
	var out string
	waitFor(t, 10*time.Second, "the task's first log line", func() bool {
		out, _ = run(t, a.addr, "alloc", "logs", first.ID[:8])
		return strings.Contains(out, "hello from "+first.ID)
	})

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	nalloc, _, err := nc.Allocations().Info(first.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames, errs := nc.AllocFS().Logs(nalloc, false, "t", "stdout", "start", 0, nil, nil)
	var got strings.Builder
	for f := range frames {
		got.Write(f.Data)
	}
	select {
	case err := <-errs:
		t.Fatalf("nomad AllocFS().Logs: %v", err)
	default:
	}
	if !strings.Contains(got.String(), "hello from "+first.ID) {
		t.Errorf("nomad client read logs %q", got.String())
	}

	if out, code := run(t, a.addr, "job", "scale", "life", "g", "2"); code != 0 {
		t.Fatalf("scale up: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "two running allocations", func() bool { return len(runningAllocs(t, c, "life")) == 2 })
	if out, code := run(t, a.addr, "job", "scale", "life", "g", "1"); code != 0 {
		t.Fatalf("scale down: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "one running allocation", func() bool { return len(runningAllocs(t, c, "life")) == 1 })
	if left := runningAllocs(t, c, "life")[0]; left.ID != first.ID {
		t.Errorf("scaling down stopped the first allocation instead of the new one")
	}
	if out, code := run(t, a.addr, "job", "stop", "life"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "no task process left", func() bool { return len(markerPIDs(marker)) == 0 })
}

// TestTasksSurviveAgentRestart kills the agent (SIGKILL) with a task
// running; a new agent on the same data dir re-attaches to the same
// process instead of starting it again.
func TestTasksSurviveAgentRestart(t *testing.T) {
	dir := t.TempDir()
	a := startAgent(t, "-dev", "-data-dir", dir)
	c := a.client(t)
	marker := fmt.Sprintf("survive-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	job := rawJob(t, "survive", marker, `while true; do echo alive; sleep 0.2; done`, "")
	if out, code := run(t, a.addr, "job", "run", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "the task process", func() bool { return len(markerPIDs(marker)) > 0 })
	// Its start recorded by the server (the process shows up a moment
	// before): killed earlier, the agent would take the record along and
	// the count below would say nothing about a second start.
	waitFor(t, 10*time.Second, "the task's start recorded", func() bool {
		running := runningAllocs(t, c, "survive")
		if len(running) != 1 {
			return false
		}
		alloc, _, err := c.Allocations().Info(running[0].ID, nil)
		return err == nil && len(filterEvents(alloc, structs.TaskStarted)) == 1
	})
	before := markerPIDs(marker)
	a.kill()

	if pids := markerPIDs(marker); len(pids) == 0 {
		t.Fatal("killing the agent killed its task")
	}
	// Same data dir and port: the same server and node, restarted.
	b := startAgent(t, "-dev", "-data-dir", dir, "-http-port", strings.TrimPrefix(a.addr, "http://127.0.0.1:"))
	c = b.client(t)
	waitFor(t, 45*time.Second, "the allocation running again", func() bool { return len(runningAllocs(t, c, "survive")) == 1 })
	alloc, _, err := c.Allocations().Info(runningAllocs(t, c, "survive")[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(filterEvents(alloc, structs.TaskStarted)); n != 1 {
		js, _ := json.MarshalIndent(alloc.TaskStates, "", " ")
		t.Errorf("task started %d times, want 1 (re-attached); task states:\n%s\nagent a:\n%s\nagent b:\n%s", n, js, a.out, b.out)
	}
	if after := markerPIDs(marker); len(after) == 0 || after[0] != before[0] {
		t.Errorf("task process changed across the restart: %v -> %v", before, after)
	}
	out, _ := run(t, b.addr, "alloc", "logs", "-tail", "-n", "1", alloc.ID)
	if !strings.Contains(out, "alive") {
		t.Errorf("logs after re-attach: %q", out)
	}
	if out, code := run(t, b.addr, "job", "stop", "survive"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "the re-attached task to stop", func() bool { return len(markerPIDs(marker)) == 0 })
	waitTaskStateGone(t, c, "survive")
}

func filterEvents(a *structs.Allocation, typ string) []*structs.TaskEvent {
	var out []*structs.TaskEvent
	for _, ts := range a.TaskStates {
		for _, e := range ts.Events {
			if e.Type == typ {
				out = append(out, e)
			}
		}
	}
	return out
}

func killMarked(marker string) {
	for _, pid := range markerPIDs(marker) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestRestartPolicyOnFailingTask runs a task that exits 1: it is
// restarted per the policy, then the allocation fails with Nomad's events.
func TestRestartPolicyOnFailingTask(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	job := rawJob(t, "flaky", "flaky", `echo failing >&2; exit 1`, `    restart {
      attempts = 2
      delay    = "100ms"
      interval = "1m"
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }`)
	if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var alloc *structs.Allocation
	waitFor(t, 15*time.Second, "the allocation to fail", func() bool {
		allocs, _, err := c.Jobs().Allocations("flaky", false, nil)
		if err != nil || len(allocs) == 0 || allocs[0].ClientStatus != structs.AllocClientStatusFailed {
			return false
		}
		alloc, _, err = c.Allocations().Info(allocs[0].ID, nil)
		return err == nil
	})
	if n := len(filterEvents(alloc, structs.TaskRestarting)); n != 2 {
		t.Errorf("%d Restarting events, want 2", n)
	}
	if n := len(filterEvents(alloc, structs.TaskNotRestarting)); n != 1 {
		t.Errorf("%d Not Restarting events, want 1", n)
	}
	out, _ := run(t, a.addr, "alloc", "status", alloc.ID)
	for _, want := range []string{"Exit Code: 1", "Not Restarting", "failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("alloc status lacks %q:\n%s", want, out)
		}
	}
	if out, _ := run(t, a.addr, "alloc", "logs", "-stderr", alloc.ID); !strings.Contains(out, "failing") {
		t.Errorf("stderr: %q", out)
	}
}

// TestUnknownCommandShowsOSError checks that a raw_exec task whose command
// does not exist fails with the OS's error in its events.
func TestUnknownCommandShowsOSError(t *testing.T) {
	a := startAgent(t, "-dev")
	path := filepath.Join(t.TempDir(), "bad.nomad")
	if err := os.WriteFile(path, []byte(`job "bad" {
  datacenters = ["minipot"]
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "raw_exec"
      config { command = "wharf-no-such-command" }
    }
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, a.addr, "job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	c := a.client(t)
	waitFor(t, 15*time.Second, "the driver failure", func() bool {
		allocs, _, err := c.Jobs().Allocations("bad", false, nil)
		if err != nil || len(allocs) == 0 {
			return false
		}
		out, _ := run(t, a.addr, "alloc", "status", allocs[0].ID)
		return strings.Contains(out, "Driver Failure") && strings.Contains(out, "executable file not found")
	})
}

// TestNodeLossWithTwoClients runs two client agents beside a server;
// SIGKILL of one client moves its allocation to the other. The time from
// the kill to the replacement running is logged.
func TestNodeLossWithTwoClients(t *testing.T) {
	cfg := serverConfig(t, "1s")
	srv := startAgent(t, "-config", cfg)
	server := strings.TrimPrefix(srv.addr, "http://")
	clientCfg := func() string {
		p := filepath.Join(t.TempDir(), "client.hcl")
		body := `datacenter = "minipot"
data_dir = "` + t.TempDir() + `"
client {
  enabled = true
  servers = ["` + server + `"]
  network_interface = "lo"
  options = { "driver.raw_exec.enable" = "1" }
}
`
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oneCfg := clientCfg()
	one := startClientAgent(t, oneCfg)
	c := srv.client(t)
	waitFor(t, 10*time.Second, "the first node", func() bool { n, _, _ := c.Nodes().List(nil); return len(n) == 1 })
	marker := fmt.Sprintf("loss-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	if out, code := run(t, srv.addr, "job", "run", rawJob(t, "loss", marker, `while true; do sleep 1; done`, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "the allocation running", func() bool { return len(runningAllocs(t, c, "loss")) == 1 })
	two := startClientAgent(t, clientCfg())
	_ = two
	waitFor(t, 10*time.Second, "the second node", func() bool { n, _, _ := c.Nodes().List(nil); return len(n) == 2 })

	oldPIDs := markerPIDs(marker)
	killed := time.Now()
	one.kill()
	waitFor(t, 30*time.Second, "the replacement running on the other node", func() bool {
		run := runningAllocs(t, c, "loss")
		return len(run) == 1 && run[0].NodeID != one.nodeID
	})
	t.Logf("kill -9 of a client to its allocation running elsewhere: %v", time.Since(killed).Round(10*time.Millisecond))

	// The dead client comes back on its data dir: it re-attaches to the task
	// it left running, learns its allocation was lost and stops it, so only
	// the replacement runs.
	startClientAgent(t, oneCfg)
	waitFor(t, 30*time.Second, "the lost allocation's task to stop", func() bool {
		for _, pid := range oldPIDs {
			if syscall.Kill(pid, 0) == nil {
				return false
			}
		}
		return true
	})
	if len(runningAllocs(t, c, "loss")) != 1 {
		t.Error("the replacement did not survive the old client's return")
	}
	if out, code := run(t, srv.addr, "job", "stop", "loss"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitTaskStateGone(t, c, "loss")
}

// clientAgent is a client-only agent process.
type clientAgent struct {
	*agentProc
	nodeID string
}

func startClientAgent(t *testing.T, cfg string) *clientAgent {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(wharfBin, "agent", "-config", cfg, "-bind", "127.0.0.1", "-http-port", strconv.Itoa(port))
	p := &agentProc{cmd: cmd, addr: fmt.Sprintf("http://127.0.0.1:%d", port), out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.shutdown)
	waitFor(t, 20*time.Second, "the client to register", func() bool { return strings.Contains(p.out.String(), "node registered") })
	m := regexp.MustCompile(`Node: (\S+)`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("client agent did not print its node ID:\n%s", p.out)
	}
	return &clientAgent{agentProc: p, nodeID: m[1]}
}
