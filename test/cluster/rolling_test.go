package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestRollingRestartOfAllServers restarts the three servers one after
// the other, followers first and the leader last, as an operator rolling
// out a release does, while a job is registered every 100 ms through the
// servers in turn: writes go on between restarts, every acknowledged
// write is there at the end on every server, the running job keeps its
// allocations, no allocation is placed twice and client nodes stay
// ready.
func TestRollingRestartOfAllServers(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2})
	leader := c.Leader(t)
	leader.Register(t, harness.SleepJob("steady", 2))
	before := c.WaitRunning(t, leader, "steady", 2, 30*time.Second)

	w := startWriter(c.Servers)
	nodes := watchNodes(c, c.Servers)
	for _, s := range restartOrder(c.Servers, leader) {
		restarted := time.Now()
		s.Interrupt()
		s.Restart()
		c.WaitFor(t, 30*time.Second, "a write through the restarted "+s.Name, func() bool {
			_, _, err := s.NomadAPI().Jobs().Register(harness.RawExecJob("probe-"+s.Name, "batch", 0, "/bin/true"), nil)
			return err == nil
		})
		c.WaitFor(t, 30*time.Second, "writes acknowledged after restarting "+s.Name, func() bool {
			return w.ackedAfter(restarted) >= 3
		})
		t.Logf("%s restarted; writes acknowledged again %s after it went down",
			s.Name, time.Since(restarted).Round(time.Millisecond))
	}
	acked := w.stop()
	if down := nodes.stop(); len(down) > 0 {
		t.Errorf("client nodes went down during the rolling restart: %v", down)
	}

	leader = c.Leader(t)
	for _, s := range c.Servers {
		checkAcked(t, s, acked)
	}
	after := c.WaitRunning(t, leader, "steady", 2, 10*time.Second)
	if b, a := allocIDs(before), allocIDs(after); !slices.Equal(sorted(b), sorted(a)) {
		t.Errorf("the running job's allocations changed across the restarts: %v, then %v", b, a)
	}
	checkNoDoublePlacement(t, leader)
}

// restartOrder lists the followers first, then the leader.
func restartOrder(servers []*harness.Agent, leader *harness.Agent) []*harness.Agent {
	var order []*harness.Agent
	for _, s := range servers {
		if s != leader {
			order = append(order, s)
		}
	}
	return append(order, leader)
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
