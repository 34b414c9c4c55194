package cluster

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

var initialClusterLine = regexp.MustCompile(`initial_cluster\s+= "([^"]+)"`)

// members lists the servers' members as Nomad's official client decodes
// them, by name.
func members(t *testing.T, s *harness.Agent) map[string]*nomadapi.AgentMember {
	t.Helper()
	sm, err := s.NomadAPI().Agent().Members()
	if err != nil {
		t.Fatalf("members from %s: %v", s.Name, err)
	}
	out := map[string]*nomadapi.AgentMember{}
	for _, m := range sm.Members {
		out[m.Name] = m
	}
	return out
}

// healthy reports whether s lists exactly names, each alive with a
// healthy etcd member and a raft index, one of them leading wharf and
// one etcd.
func healthy(t *testing.T, s *harness.Agent, names ...string) bool {
	t.Helper()
	ms := members(t, s)
	if len(ms) != len(names) {
		return false
	}
	leaders, etcdLeaders := 0, 0
	for _, n := range names {
		m := ms[n+".global"]
		if m == nil || m.Status != "alive" || m.Tags["etcd_health"] != "healthy" || m.Tags["raft_index"] == "" {
			return false
		}
		if m.Tags["leader"] == "true" {
			leaders++
		}
		if m.Tags["etcd_leader"] == "true" {
			etcdLeaders++
		}
	}
	return leaders == 1 && etcdLeaders == 1
}

// TestServerReplaceWithWharfAlone: 3 servers and a client run a job; a
// server dies and is removed with `wharf server force-leave`, its old
// data dir cannot bring it back, a fourth server is added with `wharf
// server join` and a fifth by configuration (etcd { join }). The cluster
// keeps its quorum throughout, the job's allocations survive unchanged
// and the new servers take writes. `wharf server members` and Nomad's
// official client show each step.
func TestServerReplaceWithWharfAlone(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 1})
	leader := c.Leader(t)
	leader.Register(t, harness.SleepJob("keep", 2))
	before := c.WaitRunning(t, leader, "keep", 2, 30*time.Second)
	c.WaitFor(t, 10*time.Second, "3 healthy members", func() bool { return healthy(t, leader, "s1", "s2", "s3") })

	victim := c.Servers[0]
	if victim == leader {
		victim = c.Servers[1]
	}
	survivor := leader
	victim.Kill()
	start := time.Now()
	out, code := c.CLI(t, survivor, "server", "members")
	if took := time.Since(start); code != 0 || took > 5*time.Second || !regexp.MustCompile(victim.Name+`\.global\s.*failed.*unreachable`).MatchString(out) {
		t.Fatalf("members with %s dead (%s): %d\n%s", victim.Name, took, code, out)
	}
	if out, code := c.CLI(t, survivor, "server", "force-leave", victim.Name); code != 0 {
		t.Fatalf("force-leave: %d\n%s", code, out)
	}
	var rest []string
	for _, s := range c.Servers {
		if s != victim {
			rest = append(rest, s.Name)
		}
	}
	c.WaitFor(t, 10*time.Second, "2 healthy members", func() bool { return healthy(t, survivor, rest...) })
	if out, code := c.CLI(t, survivor, "server", "force-leave", victim.Name); code == 0 || !strings.Contains(out, "no such etcd member") {
		t.Fatalf("second force-leave: %d\n%s", code, out)
	}

	// The removed server's data dir does not bring it back.
	victim.Start()
	c.WaitFor(t, 30*time.Second, "the removed server to exit", func() bool { return !victim.Running() })
	if !strings.Contains(victim.Log(), "was removed from the cluster") {
		t.Fatalf("the removed server does not say why it stopped:\n%s", victim.Log())
	}
	if !healthy(t, survivor, rest...) {
		t.Fatalf("the removed server came back:\n%s", victim.Log())
	}
	victim.Kill()

	ip := c.NextServerIP()
	out, code = c.CLI(t, survivor, "server", "join", "-name", fmt.Sprintf("s%d", len(c.Servers)+1), "http://"+ip+":2380")
	ic := initialClusterLine.FindStringSubmatch(out)
	if code != 0 || ic == nil {
		t.Fatalf("server join: %d\n%s", code, out)
	}
	s4 := c.AddServer(t, fmt.Sprintf("etcd {\n  initial_cluster = %q\n  initial_cluster_state = \"existing\"\n}\n", ic[1]))
	c.WaitFor(t, 20*time.Second, "3 healthy members with the new one", func() bool {
		return healthy(t, s4, append(rest, s4.Name)...)
	})
	s5 := c.AddServer(t, fmt.Sprintf("etcd {\n  join = [%q]\n}\n", survivor.Addr()))
	all := append(rest, s4.Name, s5.Name)
	c.WaitFor(t, 20*time.Second, "4 healthy members", func() bool { return healthy(t, s5, all...) })

	after := c.WaitRunning(t, s5, "keep", 2, 10*time.Second)
	if fmt.Sprint(allocIDs(after)) != fmt.Sprint(allocIDs(before)) {
		t.Fatalf("allocations changed: %v, were %v", allocIDs(after), allocIDs(before))
	}
	s4.Register(t, harness.SleepJob("after", 1))
	c.WaitRunning(t, s5, "after", 1, 30*time.Second)
	restoreSeenByEveryServer(t, c, survivor, s4, s5)
}

// restoreSeenByEveryServer: a snapshot restored through one server is
// what every server answers right after (each server's index follows
// the restore).
func restoreSeenByEveryServer(t *testing.T, c *harness.Cluster, servers ...*harness.Agent) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cluster.snap")
	if out, code := c.CLI(t, servers[0], "operator", "snapshot", "save", file); code != 0 {
		t.Fatalf("snapshot save: %d\n%s", code, out)
	}
	servers[1].Register(t, harness.SleepJob("temp", 1))
	if out, code := c.CLI(t, servers[2], "operator", "snapshot", "restore", file); code != 0 {
		t.Fatalf("snapshot restore: %d\n%s", code, out)
	}
	for _, s := range servers {
		c.WaitFor(t, 10*time.Second, s.Name+" to follow the restore", func() bool {
			jobs, _, err := s.NomadAPI().Jobs().List(nil)
			if err != nil {
				return false
			}
			var ids []string
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			return fmt.Sprint(ids) == "[after keep]"
		})
	}
	c.Leader(t)
}

func allocIDs(allocs []*nomadapi.AllocationListStub) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.ID)
	}
	return out
}

// TestLostQuorumRescue: the servers' etcd members serve clients on
// loopback only (as docs/operations.md suggests), so each server's health
// and raft index come from asking that server; with 2 of 3 servers gone
// for good, `server members` still answers within 2 s and names them, a
// plain snapshot save fails at once with the way out, `snapshot save
// -stale` rescues the state from the survivor, and a new cluster
// restored from it runs the job again.
func TestLostQuorumRescue(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, ServerHCL: "etcd {\n  client_url = \"http://127.0.0.1:2379\"\n}\n"})
	leader := c.Leader(t)
	for _, s := range c.Servers {
		c.WaitFor(t, 10*time.Second, "3 healthy members seen from "+s.Name, func() bool { return healthy(t, s, "s1", "s2", "s3") })
	}
	leader.Register(t, harness.SleepJob("precious", 1))
	c.WaitFor(t, 10*time.Second, "the job stored on every server", func() bool {
		for _, s := range c.Servers {
			if _, _, err := s.NomadAPI().Jobs().Info("precious", nil); err != nil {
				return false
			}
		}
		return true
	})
	survivor := c.Servers[2]
	c.Servers[0].Kill()
	c.Servers[1].Kill()

	start := time.Now()
	out, code := c.CLI(t, survivor, "server", "members")
	if took := time.Since(start); code != 0 || took > 3*time.Second || strings.Count(out, "unreachable") != 2 {
		t.Fatalf("members without a quorum (%s): %d\n%s", took, code, out)
	}
	file := filepath.Join(t.TempDir(), "rescue.snap")
	start = time.Now()
	out, code = c.CLI(t, survivor, "operator", "snapshot", "save", file)
	if took := time.Since(start); code != 1 || took > 5*time.Second || !strings.Contains(out, "-stale") {
		t.Fatalf("save without a quorum (%s): %d\n%s", took, code, out)
	}
	if out, code := c.CLI(t, survivor, "operator", "snapshot", "save", "-stale", file); code != 0 {
		t.Fatalf("save -stale: %d\n%s", code, out)
	}
	if out, code := c.CLI(t, survivor, "operator", "snapshot", "inspect", file); code != 0 || !regexp.MustCompile(`jobs\s+1`).MatchString(out) {
		t.Fatalf("inspect the rescue: %d\n%s", code, out)
	}

	fresh := harness.New(t, harness.Options{Servers: 1, Clients: 1})
	s := fresh.Leader(t)
	if out, code := fresh.CLI(t, s, "operator", "snapshot", "restore", file); code != 0 {
		t.Fatalf("restore the rescue: %d\n%s", code, out)
	}
	// The rescued job has no allocation yet on the new cluster's node:
	// a new evaluation places it.
	if _, _, err := s.NomadAPI().Jobs().ForceEvaluate("precious", nil); err != nil {
		t.Fatal(err)
	}
	fresh.WaitRunning(t, s, "precious", 1, 30*time.Second)
}
