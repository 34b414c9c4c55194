package cluster

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// replaceWithin is how soon the allocations of a killed client must run
// elsewhere: the heartbeat TTL and grace (at most 11.25 s with the
// defaults) plus a placement and a task start.
const replaceWithin = 15 * time.Second

// stopWithin is how soon a client that comes back must stop the tasks of
// allocations that were replaced while it was away.
const stopWithin = 5 * time.Second

// TestClientKilledAndBack kills a client with SIGKILL (its tasks keep
// running, as on a crash): its node goes down and its allocations run on
// the other client within 15 s, none placed twice. Restarted, the client
// learns that those allocations are lost and kills their tasks at once.
func TestClientKilledAndBack(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 1, Clients: 2})
	leader := c.Leader(t)
	leader.Register(t, harness.SleepJob("loss", 2))
	allocs := c.WaitRunning(t, leader, "loss", 2, 30*time.Second)
	lost, survivor := clientsOf(t, c, leader, allocs[0].NodeID)
	old := allocsOn(allocs, allocs[0].NodeID)
	for _, id := range old {
		if len(allocProcs(id)) == 0 {
			t.Fatalf("no process of allocation %s found before the kill", id)
		}
	}

	lost.Kill()
	killed := time.Now()
	waitReplaced(t, c, leader, "loss", 2, nodeIDOf(t, leader, survivor.Name), killed)
	for _, id := range old {
		if len(allocProcs(id)) == 0 {
			t.Fatalf("the tasks of allocation %s died with their agent; the test needs them running", id)
		}
	}

	back := time.Now()
	lost.Restart()
	c.WaitFor(t, stopWithin, "the returned client to stop its replaced tasks", func() bool {
		for _, id := range old {
			if len(allocProcs(id)) > 0 {
				return false
			}
		}
		return true
	})
	t.Logf("replaced tasks stopped %s after the client was started again", time.Since(back).Round(10*time.Millisecond))
	checkOnePerName(t, leader, "loss", 2)
}

// TestClientPartitionedAndBack cuts a client off from the servers: its
// node goes down and its allocations are replaced on the other client.
// When the partition heals, the client (which kept running its tasks)
// stops the replaced ones at once.
func TestClientPartitionedAndBack(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 1, Clients: 2})
	leader := c.Leader(t)
	leader.Register(t, harness.SleepJob("cut", 2))
	allocs := c.WaitRunning(t, leader, "cut", 2, 30*time.Second)
	cut, survivor := clientsOf(t, c, leader, allocs[0].NodeID)
	old := allocsOn(allocs, allocs[0].NodeID)

	cut.Partition()
	parted := time.Now()
	waitReplaced(t, c, leader, "cut", 2, nodeIDOf(t, leader, survivor.Name), parted)
	for _, id := range old {
		if len(allocProcs(id)) == 0 {
			t.Fatalf("allocation %s stopped while its client was cut off; the test needs it running", id)
		}
	}

	cut.Heal()
	healed := time.Now()
	c.WaitFor(t, stopWithin, "the reconnected client to stop its replaced tasks", func() bool {
		for _, id := range old {
			if len(allocProcs(id)) > 0 {
				return false
			}
		}
		return true
	})
	t.Logf("replaced tasks stopped %s after the partition healed", time.Since(healed).Round(10*time.Millisecond))
	c.WaitFor(t, 30*time.Second, "the reconnected node ready", func() bool {
		st, ok := leader.NodeStatus(cut.Name)
		return ok && st == "ready"
	})
	checkOnePerName(t, leader, "cut", 2)
}

// waitReplaced waits until n allocations of the job run on node, and
// fails when that took longer than replaceWithin since from.
func waitReplaced(t *testing.T, c *harness.Cluster, leader *harness.Agent, job string, n int, node string, from time.Time) {
	t.Helper()
	c.WaitFor(t, 2*replaceWithin, "replacements running on the surviving client", func() bool {
		running := 0
		for _, a := range leader.RunningAllocs(job) {
			if a.NodeID == node {
				running++
			}
		}
		return running == n
	})
	took := time.Since(from)
	t.Logf("allocations replaced %s after the client was lost", took.Round(10*time.Millisecond))
	if took > replaceWithin {
		t.Errorf("replacements ran %s after the client was lost, want within %s", took, replaceWithin)
	}
}

// clientsOf returns the client whose node is nodeID and the other one.
func clientsOf(t *testing.T, c *harness.Cluster, leader *harness.Agent, nodeID string) (on, other *harness.Agent) {
	t.Helper()
	for i, cl := range c.Clients {
		if nodeIDOf(t, leader, cl.Name) == nodeID {
			return cl, c.Clients[1-i]
		}
	}
	t.Fatalf("node %s is no client of the cluster", nodeID)
	return nil, nil
}

// nodeIDOf returns the ID of the node called name.
func nodeIDOf(t *testing.T, a *harness.Agent, name string) string {
	t.Helper()
	nodes, _, err := a.NomadAPI().Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name == name {
			return n.ID
		}
	}
	t.Fatalf("no node named %s", name)
	return ""
}

// allocsOn returns the IDs of the allocations on node.
func allocsOn(allocs []*nomadapi.AllocationListStub, node string) []string {
	var out []string
	for _, a := range allocs {
		if a.NodeID == node {
			out = append(out, a.ID)
		}
	}
	return out
}

// checkOnePerName fails when the job has more or fewer than count
// allocations meant to run, or two of them share a name (placed twice).
func checkOnePerName(t *testing.T, a *harness.Agent, job string, count int) {
	t.Helper()
	allocs, _, err := a.NomadAPI().Jobs().Allocations(job, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, al := range allocs {
		if al.DesiredStatus != "run" {
			continue
		}
		if other, dup := names[al.Name]; dup {
			t.Errorf("%s placed twice: allocations %s and %s", al.Name, other, al.ID)
		}
		names[al.Name] = al.ID
	}
	if len(names) != count {
		t.Errorf("%d allocations of %s meant to run, want %d", len(names), job, count)
	}
}

// allocProcs returns the processes on this machine whose environment
// names allocation id: its tasks, wherever their agent is.
func allocProcs(id string) []int {
	want := []byte("NOMAD_ALLOC_ID=" + id + "\x00")
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, want) {
			out = append(out, pid)
		}
	}
	return out
}
