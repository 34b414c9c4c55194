package scheduler

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// placementKey describes where and with which ports an allocation went.
func placementKey(a *structs.Allocation) string {
	return fmt.Sprintf("%s@%s%v", a.Name, a.NodeID, a.AllocatedResources.Shared.Ports)
}

// TestUsageSummaryMatchesScan runs scenarios once with per-allocation
// scans and once with the State's per-node summaries: the plans must be
// the same.
func TestUsageSummaryMatchesScan(t *testing.T) {
	scenarios := []struct {
		name  string
		build func() (*fakeState, *structs.Job)
	}{
		{"busy nodes", func() (*fakeState, *structs.Job) {
			st := newFakeState(testNodes(4, "dc1")...)
			other := testJob("other", 12)
			runAndApply(st, other)
			return st, testJob("web", 10)
		}},
		{"destructive update", func() (*fakeState, *structs.Job) {
			st := newFakeState(testNodes(3, "dc1")...)
			job := testJob("web", 6)
			runAndApply(st, job)
			st.addJob(job)
			job2 := copyJob(job)
			job2.Version = 1
			job2.TaskGroups[0].Tasks[0].Resources.CPU = 1900
			job2.TaskGroups[0].Update = &structs.UpdateStrategy{MaxParallel: 4}
			return st, job2
		}},
		{"scale down and lost node", func() (*fakeState, *structs.Job) {
			st := newFakeState(testNodes(3, "dc1")...)
			job := testJob("web", 9)
			runAndApply(st, job)
			st.nodes[1].Status = structs.NodeStatusDown
			job2 := copyJob(job)
			job2.TaskGroups[0].Count = 7
			return st, job2
		}},
		{"static ports", func() (*fakeState, *structs.Job) {
			st := newFakeState(testNodes(3, "dc1")...)
			runAndApply(st, portJob(2, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "a", Value: 9000}}}))
			job := portJob(2, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "a", Value: 9000}}})
			job.ID = "second"
			return st, job
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, job := sc.build()
			scan := run(t, st, job)
			st2, job2 := sc.build()
			st2.reindex()
			sum := run(t, &usageState{st2}, job2)
			a, b := keys(placed(scan.Plan, st.byJob["default/"+job.ID]...)), keys(placed(sum.Plan, st2.byJob["default/"+job.ID]...))
			if len(a) == 0 && !scan.Blocked {
				t.Fatal("scenario places nothing")
			}
			if !equalStrings(a, b) || scan.Blocked != sum.Blocked {
				t.Errorf("scan %v (blocked %v)\nsummary %v (blocked %v)", a, scan.Blocked, b, sum.Blocked)
			}
		})
	}
}

// runAndApply places job on st with fixed options and applies the plan.
func runAndApply(st *fakeState, job *structs.Job) {
	res, err := Process(st, evalFor(job), job, testOpts())
	if err != nil {
		panic(err)
	}
	st.apply(res.Plan)
}

func keys(as []*structs.Allocation) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = placementKey(a)
	}
	return out
}

func TestStopSet(t *testing.T) {
	var s stopSet
	a := &structs.Allocation{ID: "a", NodeID: "n"}
	b := &structs.Allocation{ID: "b", NodeID: "n"}
	s.add(a)
	s.add(a)
	s.add(b)
	if !s.has("a") || len(s.byNode["n"]) != 2 {
		t.Fatalf("set %+v", s)
	}
	s.remove(a)
	s.remove(a)
	if s.has("a") || len(s.byNode["n"]) != 1 || s.byNode["n"][0] != b {
		t.Errorf("after remove %+v", s)
	}
	var empty stopSet
	if empty.has("x") {
		t.Error("empty set has x")
	}
	empty.remove(a)
}
