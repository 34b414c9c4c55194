package scheduler

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestDistinctHosts(t *testing.T) {
	tests := []struct {
		name    string
		jobWide bool
	}{{"group", false}, {"job", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeState(testNodes(3, "dc1")...)
			job := testJob("web", 4)
			c := []*structs.Constraint{{Operand: structs.ConstraintDistinctHosts}}
			if tt.jobWide {
				job.Constraints = c
			} else {
				job.TaskGroups[0].Constraints = c
			}
			res := run(t, st, job)
			if got := countBy(placed(res.Plan), nodeOf); len(got) != 3 {
				t.Errorf("placements %v, want one per node", got)
			}
			m := res.FailedTGAllocs["web"]
			if m == nil || m.ConstraintFiltered[keyDistinctHosts] != 3 || res.QueuedAllocations["web"] != 1 {
				t.Errorf("failed metric %+v queued %v", m, res.QueuedAllocations)
			}
		})
	}
}

func TestDistinctHostsCountsExistingAllocs(t *testing.T) {
	job := testJob("web", 2)
	job.TaskGroups[0].Constraints = []*structs.Constraint{{Operand: structs.ConstraintDistinctHosts}}
	st := newFakeState(testNodes(2, "dc1")...)
	st.upsert(existingAlloc(job, 0, "n0"))
	res := run(t, st, job)
	if as := placed(res.Plan, st.byJob["default/web"]...); len(as) != 1 || as[0].NodeID != "n1" {
		t.Errorf("placed %v", countBy(as, nodeOf))
	}
}

func TestDistinctProperty(t *testing.T) {
	var nodes []*structs.Node
	for i := range 6 {
		n := testNode(fmt.Sprintf("n%d", i), "dc1")
		n.Meta["rack"] = fmt.Sprintf("r%d", i%3)
		nodes = append(nodes, n)
	}
	tests := []struct {
		name   string
		limit  string
		placed int
	}{{"default limit 1", "", 3}, {"limit 2", "2", 6}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob("web", 7)
			job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}",
				Operand: structs.ConstraintDistinctProperty, RTarget: tt.limit}}
			st := newFakeState(nodes...)
			res := run(t, st, job)
			as := placed(res.Plan)
			if len(as) != tt.placed {
				t.Fatalf("placed %d, want %d", len(as), tt.placed)
			}
			byRack := countBy(as, func(a *structs.Allocation) string { return st.nodes[nameNum(a.NodeID)].Meta["rack"] })
			for rack, n := range byRack {
				if n != tt.placed/3 {
					t.Errorf("rack %s has %d", rack, n)
				}
			}
			key := "${meta.rack} distinct_property " + tt.limit
			if m := res.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[trimKey(key)] == 0 {
				t.Errorf("failed metric %+v", m)
			}
		})
	}
}

func trimKey(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestDistinctPropertyJobLevelAcrossGroups(t *testing.T) {
	nodes := testNodes(4, "dc1")
	for i, n := range nodes {
		n.Meta["rack"] = fmt.Sprintf("r%d", i%2)
	}
	job := testJob("web", 1)
	job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", Operand: structs.ConstraintDistinctProperty}}
	api := job.TaskGroups[0].Copy()
	api.Name = "api"
	job.TaskGroups = append(job.TaskGroups, api)
	st := newFakeState(nodes...)
	st.upsert(existingAlloc(job, 0, "n0")) // web[0] on rack r0
	job.TaskGroups[0].Count = 1
	res := run(t, st, job)
	as := placed(res.Plan, st.byJob["default/web"]...)
	if len(as) != 1 || as[0].TaskGroup != "api" || st.nodes[nameNum(as[0].NodeID)].Meta["rack"] != "r1" {
		t.Fatalf("placed %v", countBy(as, nodeOf))
	}
}
