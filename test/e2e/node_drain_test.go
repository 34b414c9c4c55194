package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/testkit/fakenode"
)

// drainJobHCL is a job of two pot allocations that migrate one at a time.
const drainJobHCL = `job "drainme" {
  datacenters = ["minipot"]
  group "g" {
    count = 2
    migrate {
      max_parallel     = 1
      health_check     = "task_states"
      min_healthy_time = "0s"
      healthy_deadline = "1m"
    }
    task "t" {
      driver = "pot"
      config {
        image = "http://127.0.0.1:9080"
        pot = "nginx-nomad-amd64-13_1"
        tag = "1.1.13"
        command = "nginx"
      }
    }
  }
}
`

// TestNodeDrainCLI drives node eligibility and node drain through the CLI
// against a server with two simulated nodes: the job lands on the node
// left eligible, a drain moves both allocations off it, the CLI follows
// the drain to "Drain complete", and bad flags are refused.
func TestNodeDrainCLI(t *testing.T) {
	a := startAgent(t, "-server", "-data-dir", t.TempDir(), "-dc", "minipot")
	c := a.client(t)
	var nodes []*fakenode.Runner
	for _, name := range []string{"drain-a", "drain-b"} {
		r, err := fakenode.Start(context.Background(), c, fakenode.NewNode(name, "minipot", "pot"),
			fakenode.Options{MarkRunning: true, MarkStopped: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Stop)
		nodes = append(nodes, r)
	}
	na, nb := nodes[0].Node.ID, nodes[1].Node.ID
	mustRun(t, a.addr, []string{"scheduling eligibility set: ineligible for scheduling"}, "node", "eligibility", "-disable", nb)
	file := filepath.Join(t.TempDir(), "drain.job")
	if err := os.WriteFile(file, []byte(drainJobHCL), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, a.addr, nil, "job", "run", file)
	waitFor(t, 10*time.Second, "both allocations running on node a", func() bool { return runningOn(t, c, na) == 2 })
	mustRun(t, a.addr, []string{"eligible for scheduling"}, "node", "eligibility", "-enable", nb)

	out := mustRun(t, a.addr, []string{`drain strategy set`, `marked for migration`, `status running -> complete`,
		`All allocations on node`, `Drain complete for node`}, "node", "drain", "-enable", "-deadline", "1m", "-m", "reason=e2e", "-yes", na)
	t.Logf("node drain said:\n%s", out)
	if got := runningOn(t, c, nb); got != 2 {
		t.Errorf("%d allocations running on node b after the drain, want 2", got)
	}
	node, _, err := c.Nodes().Info(na, nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.SchedulingEligibility != "ineligible" || node.LastDrain == nil || node.LastDrain.Meta["reason"] != "e2e" {
		t.Errorf("drained node: eligibility %q last drain %+v", node.SchedulingEligibility, node.LastDrain)
	}
	mustRun(t, a.addr, []string{"No drain strategy set for node"}, "node", "drain", "-monitor", na)
	mustRun(t, a.addr, []string{"drain strategy unset"}, "node", "drain", "-disable", "-yes", na)
	if node, _, _ = c.Nodes().Info(na, nil); node.SchedulingEligibility != "eligible" {
		t.Errorf("after -disable the node is %q, want eligible", node.SchedulingEligibility)
	}

	refused := []struct {
		args []string
		want string
	}{
		{[]string{"node", "drain", "-enable", "-force", "-no-deadline", "-yes", na}, "exclude each other"},
		{[]string{"node", "drain", "-yes", na}, "exactly one of -enable and -disable"},
		{[]string{"node", "drain", "-enable", "-m", "novalue", "-yes", na}, "want key=value"},
		{[]string{"node", "eligibility", na}, "exactly one of -enable and -disable"},
		{[]string{"node", "drain", "-enable", "-yes", "nosuchnode"}, "nosuchnode"},
	}
	for _, r := range refused {
		if out, code := run(t, a.addr, r.args...); code == 0 || !strings.Contains(out, r.want) {
			t.Errorf("wharf %v: exit %d\n%s\nwant a failure naming %q", r.args, code, out, r.want)
		}
	}
}

// mustRun runs the CLI, fails the test unless it exits 0 with every want
// in its output, and returns the output.
func mustRun(t *testing.T, addr string, want []string, args ...string) string {
	t.Helper()
	out, code := run(t, addr, args...)
	if code != 0 {
		t.Fatalf("wharf %v: exit %d\n%s", args, code, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("wharf %v: output lacks %q:\n%s", args, w, out)
		}
	}
	return out
}

// runningOn counts the running allocations on node.
func runningOn(t *testing.T, c *api.Client, node string) int {
	allocs, _, err := c.Nodes().Allocations(node, nil)
	if err != nil {
		return 0
	}
	n := 0
	for _, al := range allocs {
		if al.ClientStatus == "running" && al.DesiredStatus == "run" {
			n++
		}
	}
	return n
}
