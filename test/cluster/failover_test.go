package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// placementBudget is how long a new leader may take, from the old
// leader's loss, to place a job submitted right after it.
const placementBudget = 5 * time.Second

// TestLeaderKillFailover kills the leader with SIGKILL under a write
// every 100 ms: a new leader places a new job within the budget, no
// server names the dead one for long, every acknowledged write is there
// afterwards, no allocation is placed twice and both client nodes stay
// ready throughout.
func TestLeaderKillFailover(t *testing.T) {
	failoverScenario(t, func(leader *harness.Agent) { leader.Kill() })
}

// TestLeaderPartitionFailover cuts the leader off from every other agent
// with nftables: the same checks hold, and once healed the old leader
// follows the new one.
func TestLeaderPartitionFailover(t *testing.T) {
	failoverScenario(t, func(leader *harness.Agent) { leader.Partition() })
}

func failoverScenario(t *testing.T, lose func(*harness.Agent)) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2})
	old := c.Leader(t)
	old.Register(t, harness.SleepJob("before", 2))
	c.WaitRunning(t, old, "before", 2, 30*time.Second)
	var survivors []*harness.Agent
	for _, s := range c.Servers {
		if s != old {
			survivors = append(survivors, s)
		}
	}
	w := startWriter(survivors)
	nodes := watchNodes(c, survivors)
	time.Sleep(500 * time.Millisecond) // a few writes before the loss

	lost := time.Now()
	lose(old)
	// The first register a survivor accepts, then its placement.
	var placedAt time.Time
	c.WaitFor(t, 30*time.Second, "a new job accepted", func() bool {
		_, _, err := survivors[0].NomadAPI().Jobs().Register(harness.SleepJob("after", 1), nil)
		return err == nil
	})
	c.WaitFor(t, 30*time.Second, "the new job placed", func() bool {
		if len(survivors[0].RunningAllocs("after")) == 1 || placed(survivors[0], "after") {
			placedAt = time.Now()
			return true
		}
		return false
	})
	took := placedAt.Sub(lost)
	t.Logf("leader %s lost: new job placed after %s", old.Name, took.Round(time.Millisecond))
	if took > placementBudget {
		t.Errorf("new job placed %s after the leader was lost, want within %s", took, placementBudget)
	}
	if d := staleLeaderFor(old, survivors, lost); d > 2*time.Second {
		t.Errorf("a survivor named the lost leader for %s", d)
	}
	c.WaitFor(t, 10*time.Second, "writes acknowledged after the new placement", func() bool {
		return w.ackedAfter(placedAt) >= 3
	})
	acked := w.stop()
	if len(acked)-w.ackedAfter(lost) == 0 {
		t.Errorf("no write acknowledged before the loss")
	}
	down := nodes.stop()
	if len(down) > 0 {
		t.Errorf("client nodes went down during the failover: %v", down)
	}
	leader := c.Leader(t)
	if leader == old {
		t.Fatalf("the lost leader %s leads again", old.Name)
	}
	checkAcked(t, leader, acked)
	c.WaitRunning(t, leader, "before", 2, 10*time.Second)
	checkNoDoublePlacement(t, leader)
	if old.Running() {
		old.Heal()
		c.WaitFor(t, 30*time.Second, "the old leader to follow the new one", func() bool {
			addr, ok := old.LeaderOf()
			return ok && addr == leader.Addr()
		})
	}
}

// placed reports whether the job has an allocation on a node (placed,
// whether or not it runs yet).
func placed(a *harness.Agent, job string) bool {
	allocs, _, err := a.NomadAPI().Jobs().Allocations(job, false, &nomadapi.QueryOptions{AllowStale: true})
	return err == nil && len(allocs) > 0 && allocs[0].NodeID != ""
}

// staleLeaderFor polls the survivors for 3 s after the loss and returns
// how long after it they still named the lost leader.
func staleLeaderFor(old *harness.Agent, survivors []*harness.Agent, lost time.Time) time.Duration {
	var last time.Time
	for time.Since(lost) < 3*time.Second {
		for _, s := range survivors {
			if addr, ok := s.LeaderOf(); ok && addr == old.Addr() {
				last = time.Now()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last.IsZero() {
		return 0
	}
	return last.Sub(lost)
}

// writer registers a new job every 100 ms through the servers in turn
// and keeps the IDs of the acknowledged ones.
type writer struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acked []string
	times []time.Time // when each was acknowledged
}

func startWriter(servers []*harness.Agent) *writer {
	w := &writer{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stopc:
				return
			case <-time.After(100 * time.Millisecond):
			}
			id := fmt.Sprintf("w-%03d", i)
			job := harness.RawExecJob(id, "batch", 0, "/bin/true")
			if _, _, err := servers[i%len(servers)].NomadAPI().Jobs().Register(job, nil); err == nil {
				w.mu.Lock()
				w.acked, w.times = append(w.acked, id), append(w.times, time.Now())
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *writer) stop() []string {
	close(w.stopc)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked
}

// ackedAfter counts the writes acknowledged after at.
func (w *writer) ackedAfter(at time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, t := range w.times {
		if t.After(at) {
			n++
		}
	}
	return n
}

// nodeWatch records client nodes any survivor lists as not ready.
type nodeWatch struct {
	stopc chan struct{}
	done  chan struct{}
	down  map[string]string
}

func watchNodes(c *harness.Cluster, servers []*harness.Agent) *nodeWatch {
	nw := &nodeWatch{stopc: make(chan struct{}), done: make(chan struct{}), down: map[string]string{}}
	go func() {
		defer close(nw.done)
		for {
			select {
			case <-nw.stopc:
				return
			case <-time.After(200 * time.Millisecond):
			}
			for _, s := range servers {
				for _, cl := range c.Clients {
					if st, ok := s.NodeStatus(cl.Name); ok && st != "ready" {
						nw.down[cl.Name] = st
					}
				}
			}
		}
	}()
	return nw
}

func (nw *nodeWatch) stop() map[string]string {
	close(nw.stopc)
	<-nw.done
	return nw.down
}

// checkAcked fails the test for every acknowledged job the leader does
// not have.
func checkAcked(t *testing.T, leader *harness.Agent, acked []string) {
	t.Helper()
	jobs, _, err := leader.NomadAPI().Jobs().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, j := range jobs {
		have[j.ID] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Errorf("acknowledged job %s is lost", id)
		}
	}
	t.Logf("%d acknowledged writes, all present", len(acked))
}

// checkNoDoublePlacement fails the test when two live allocations hold
// the same name (job, group and index).
func checkNoDoublePlacement(t *testing.T, leader *harness.Agent) {
	t.Helper()
	allocs, _, err := leader.NomadAPI().Allocations().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, a := range allocs {
		if a.DesiredStatus != "run" || a.ClientStatus == "complete" || a.ClientStatus == "failed" || a.ClientStatus == "lost" {
			continue
		}
		if other, ok := seen[a.Name]; ok {
			t.Errorf("allocation %s placed twice: %s and %s", a.Name, other, a.ID)
		}
		seen[a.Name] = a.ID
	}
}
