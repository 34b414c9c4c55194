package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"dc1", "dc1", true},
		{"dc1", "dc2", false},
		{"dc*", "dc1", true},
		{"dc*", "dc", true},
		{"dc*", "xdc1", false},
		{"*-east", "us-east", true},
		{"us-*-1", "us-west-1", true},
		{"us-*-1", "us-west-2", false},
		{"d?1", "dc1", true},
		{"d?1", "dcc1", false},
		{"**a", "bba", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestNodeFilter(t *testing.T) {
	down := testNode("x", "dc1")
	down.Status = structs.NodeStatusDown
	draining := testNode("x", "dc1")
	draining.Drain = true
	ineligible := testNode("x", "dc1")
	ineligible.SchedulingEligibility = structs.NodeSchedulingIneligible
	pooled := testNode("x", "dc1")
	pooled.NodePool = "gpu"
	tests := []struct {
		name string
		dcs  []string
		pool string
		node *structs.Node
		want bool
	}{
		{"exact dc", []string{"dc1"}, "", testNode("x", "dc1"), true},
		{"other dc", []string{"dc2"}, "", testNode("x", "dc1"), false},
		{"wildcard", []string{"*"}, "", testNode("x", "dc1"), true},
		{"glob", []string{"eu", "dc*"}, "", testNode("x", "dc7"), true},
		{"no datacenters", nil, "", testNode("x", "dc1"), true},
		{"down", []string{"dc1"}, "", down, false},
		{"draining", []string{"dc1"}, "", draining, false},
		{"ineligible", []string{"dc1"}, "", ineligible, false},
		{"default pool excludes other pools", []string{"dc1"}, "", pooled, false},
		{"named pool", []string{"dc1"}, "gpu", pooled, true},
		{"named pool excludes default", []string{"dc1"}, "gpu", testNode("x", "dc1"), false},
		{"all pools", []string{"dc1"}, "all", pooled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newNodeFilter(&structs.Job{Datacenters: tt.dcs, NodePool: tt.pool})
			if got := f.admits(tt.node); got != tt.want {
				t.Errorf("admits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDriverHealthy(t *testing.T) {
	n := testNode("x", "dc1")
	n.Drivers["sick"] = &structs.DriverInfo{Detected: true, Healthy: false}
	n.Drivers["absent"] = &structs.DriverInfo{Detected: false, Healthy: true}
	n.Attributes["driver.legacy"] = "1"
	n.Attributes["driver.off"] = "0"
	tests := []struct {
		driver string
		want   bool
	}{
		{"raw_exec", true}, {"pot", true}, {"sick", false}, {"absent", false},
		{"docker", false}, {"legacy", true}, {"off", false},
	}
	for _, tt := range tests {
		if got := driverHealthy(n, tt.driver); got != tt.want {
			t.Errorf("driverHealthy(%q) = %v, want %v", tt.driver, got, tt.want)
		}
	}
}

func TestGroupCheckerOrderAndKeys(t *testing.T) {
	job := testJob("web", 1)
	job.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}}
	job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r2", Operand: "="},
		{Operand: structs.ConstraintDistinctHosts}}
	g := newGroupChecker(job, job.TaskGroups[0])
	if len(g.cons) != 2 {
		t.Fatalf("compiled %d constraints, want 2 (distinct_hosts is dynamic)", len(g.cons))
	}
	ok, key := g.check(testNode("x", "dc1"))
	if ok || key != "${meta.rack} = r2" {
		t.Errorf("check = %v %q", ok, key)
	}
	n := testNode("x", "dc1")
	delete(n.Drivers, "raw_exec")
	if ok, key := g.check(n); ok || key != keyMissingDrivers {
		t.Errorf("missing driver: %v %q", ok, key)
	}
}

func TestDatacenterMismatchNotEvaluated(t *testing.T) {
	nodes := append(testNodes(2, "dc1"), testNode("far1", "dc2"), testNode("far2", "dc3"))
	st := newFakeState(nodes...)
	job := testJob("web", 1)
	job.TaskGroups[0].Tasks[0].Driver = "docker"
	res := run(t, st, job)
	m := res.FailedTGAllocs["web"]
	if m == nil || m.NodesEvaluated != 2 || m.NodesInPool != 4 || m.ConstraintFiltered[keyMissingDrivers] != 2 {
		t.Fatalf("metric %+v", m)
	}
	if len(m.NodesAvailable) != 1 || m.NodesAvailable["dc1"] != 2 {
		t.Errorf("nodes available %v", m.NodesAvailable)
	}
}

func TestUnhealthyDriverBlocks(t *testing.T) {
	nodes := testNodes(2, "dc1")
	for _, n := range nodes {
		n.Drivers["raw_exec"] = &structs.DriverInfo{Detected: true, Healthy: false}
	}
	res := run(t, newFakeState(nodes...), testJob("web", 1))
	if m := res.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[keyMissingDrivers] != 2 {
		t.Fatalf("metric %+v", m)
	}
}

func TestClassFiltered(t *testing.T) {
	nodes := testNodes(3, "dc1")
	nodes[0].NodeClass = "small"
	nodes[1].NodeClass = "small"
	job := testJob("web", 1)
	job.Constraints = []*structs.Constraint{{LTarget: "${node.class}", RTarget: "big"}}
	res := run(t, newFakeState(nodes...), job)
	m := res.FailedTGAllocs["web"]
	if m == nil || m.ClassFiltered["small"] != 2 || m.NodesFiltered != 3 {
		t.Fatalf("metric %+v", m)
	}
}
