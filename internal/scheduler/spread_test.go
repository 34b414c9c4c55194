package scheduler

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestSpreadEven(t *testing.T) {
	var nodes []*structs.Node
	for i := range 9 {
		nodes = append(nodes, testNode(fmt.Sprintf("n%d", i), []string{"dc1", "dc2", "dc3"}[i%3]))
	}
	// Make dc1 nodes fuller so bin packing alone would favour them.
	st := newFakeState(nodes...)
	other := testJob("other", 1)
	for _, n := range []string{"n0", "n3", "n6"} {
		a := existingAlloc(other, 0, n)
		a.ID = "busy-" + n
		a.AllocatedResources.Tasks["server"].Cpu.CpuShares = 3000
		st.upsert(a)
	}
	job := testJob("web", 6)
	job.Datacenters = []string{"*"}
	job.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 100}}
	res := run(t, st, job)
	byDC := countBy(placed(res.Plan), func(a *structs.Allocation) string { return st.nodes[nameNum(a.NodeID)].Datacenter })
	if byDC["dc1"] != 2 || byDC["dc2"] != 2 || byDC["dc3"] != 2 {
		t.Errorf("spread %v, want 2 per datacenter", byDC)
	}
}

// nameNum parses the number of a test node ID "nK".
func nameNum(id string) int {
	var k int
	_, _ = fmt.Sscanf(id, "n%d", &k)
	return k
}

func TestSpreadTargets(t *testing.T) {
	var nodes []*structs.Node
	for i := range 10 {
		n := testNode(fmt.Sprintf("n%d", i), "dc1")
		n.Meta["rack"] = []string{"r1", "r2"}[i%2]
		nodes = append(nodes, n)
	}
	job := testJob("web", 10)
	job.TaskGroups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100,
		SpreadTarget: []*structs.SpreadTarget{{Value: "r1", Percent: 70}, {Value: "r2", Percent: 30}}}}
	st := newFakeState(nodes...)
	res := run(t, st, job)
	byRack := countBy(placed(res.Plan), func(a *structs.Allocation) string { return st.nodes[nameNum(a.NodeID)].Meta["rack"] })
	if byRack["r1"] != 7 || byRack["r2"] != 3 {
		t.Errorf("spread %v, want r1=7 r2=3", byRack)
	}
}

func TestSpreadCountsExistingAllocs(t *testing.T) {
	nodes := []*structs.Node{testNode("n0", "dc1"), testNode("n1", "dc2")}
	job := testJob("web", 4)
	job.Datacenters = []string{"dc1", "dc2"}
	job.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}"}}
	st := newFakeState(nodes...)
	st.addJob(job)
	for i := range 2 {
		st.upsert(existingAlloc(job, i, "n0"))
	}
	res := run(t, st, job)
	if got := countBy(placed(res.Plan, st.byJob["default/web"]...), nodeOf); got["n1"] != 2 {
		t.Errorf("new placements %v, want both in dc2", got)
	}
}

func TestSpreadSpecFreq(t *testing.T) {
	s := &spreadSpec{attr: parseTarget("${node.datacenter}"), counts: map[string]int{"a": 0, "b": 0, "c": 0}, freq: map[int]int{}}
	s.rebuildFreq()
	na, nb := testNode("x", "a"), testNode("y", "b")
	if s.score(na) != 0 {
		t.Errorf("all equal scores %v", s.score(na))
	}
	s.add(na, 1)
	if s.lo != 0 || s.hi != 1 || s.score(na) != -1 || s.score(nb) != 1 {
		t.Errorf("after one: lo %d hi %d a %v b %v", s.lo, s.hi, s.score(na), s.score(nb))
	}
	s.add(na, -1)
	if s.lo != 0 || s.hi != 0 {
		t.Errorf("after undo: lo %d hi %d", s.lo, s.hi)
	}
	if s.score(testNode("z", "new")) != 0 {
		t.Error("unknown value scored")
	}
	missing := parseTarget("${meta.none}")
	if (&spreadSpec{attr: missing}).score(na) != -1 {
		t.Error("node without the attribute must score -1")
	}
}
