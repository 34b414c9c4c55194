package cluster

import (
	"net"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestHarnessCluster brings up 3 servers and 2 clients: the servers agree
// on one leader, every server lists both nodes ready, a raw_exec job
// submitted to a follower runs on a client, and a partitioned client is
// cut off from the servers but still reachable from the test.
func TestHarnessCluster(t *testing.T) {
	start := time.Now()
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2})
	t.Logf("cluster up in %s", time.Since(start))
	leader := c.Leader(t)
	for _, s := range c.Servers {
		if addr, ok := s.LeaderOf(); !ok || addr != leader.Addr() {
			t.Fatalf("%s names leader %q, want %s", s.Name, addr, leader.Addr())
		}
		for _, cl := range c.Clients {
			if st, ok := s.NodeStatus(cl.Name); !ok || st != "ready" {
				t.Fatalf("%s lists node %s as %q", s.Name, cl.Name, st)
			}
		}
	}
	follower := c.Servers[0]
	if follower == leader {
		follower = c.Servers[1]
	}
	follower.Register(t, harness.SleepJob("sleeper", 1))
	allocs := c.WaitRunning(t, leader, "sleeper", 1, 30*time.Second)
	nodes, _, err := leader.NomadAPI().Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	placed := ""
	for _, n := range nodes {
		if n.ID == allocs[0].NodeID {
			placed = n.Name
		}
	}
	if placed != "c1" && placed != "c2" {
		t.Fatalf("allocation placed on node %q, want a client", placed)
	}

	cl := c.Clients[0]
	t.Logf("job running at %s", time.Since(start))
	cl.Partition()
	conn, err := net.DialTimeout("tcp", cl.Addr(), 2*time.Second)
	if err != nil {
		t.Fatalf("the test lost a partitioned agent: %v", err)
	}
	conn.Close()
	c.WaitFor(t, 30*time.Second, "the partitioned client's node to go down", func() bool {
		st, ok := leader.NodeStatus(cl.Name)
		return ok && st == "down"
	})
	t.Logf("node down at %s", time.Since(start))
	cl.Heal()
	c.WaitFor(t, 30*time.Second, "the healed client's node to be ready", func() bool {
		st, ok := leader.NodeStatus(cl.Name)
		return ok && st == "ready"
	})
}
