package statetest

import (
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var planTests = []testCase{
	{"ApplyPlanWritesEvals", testPlanEvals},
	{"ApplyPlanRejectsInvalid", testPlanInvalid},
	{"ApplyPlanStopOnlyAfterPurge", testStopAfterPurge},
	{"ApplyPlanManyNodes", testPlanManyNodes},
}

func testPlanEvals(t *testing.T, e *env) {
	job, node := e.setup()
	plan, ev := e.planFor(job)
	plan.AppendAlloc(NewAlloc(job, node, ev.ID, 0))
	blocked := NewEval(job)
	blocked.Status = structs.EvalStatusBlocked
	idx := e.must(e.s.ApplyPlan(e.ctx, plan, []*structs.Evaluation{blocked}))
	if got := e.snap().Eval(blocked.ID); got == nil || got.CreateIndex != idx {
		t.Fatalf("plan eval = %+v, want written at %d", got, idx)
	}
}

func testPlanInvalid(t *testing.T, e *env) {
	job, node := e.setup()
	cases := []struct {
		name  string
		alloc func() *structs.Allocation
	}{
		{"no ID", func() *structs.Allocation { a := NewAlloc(job, node, "e", 0); a.ID = ""; return a }},
		{"no job", func() *structs.Allocation { a := NewAlloc(job, node, "e", 0); a.JobID = ""; return a }},
		{"wrong node", func() *structs.Allocation { a := NewAlloc(job, node, "e", 0); a.NodeID = "other"; return a }},
	}
	for _, c := range cases {
		plan, _ := e.planFor(job)
		plan.NodeAllocation[node.ID] = []*structs.Allocation{c.alloc()}
		_, err := e.s.ApplyPlan(e.ctx, plan, nil)
		if err == nil || errors.Is(err, state.ErrConflict) {
			t.Errorf("%s: error %v, want a validation error", c.name, err)
		}
	}
	if len(e.snap().Allocs()) != 0 {
		t.Fatal("an invalid plan wrote allocations")
	}
}

func testStopAfterPurge(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 1, node)
	e.must(e.s.DeregisterJob(e.ctx, "default", "web", true, nil))
	plan, _ := e.planFor(job)
	plan.AppendStop(allocs[0], "job purged", "")
	e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	if got := e.snap().Alloc(allocs[0].ID); got.DesiredStatus != structs.AllocDesiredStatusStop {
		t.Fatal("stop of a purged job's alloc not applied")
	}
}

func testPlanManyNodes(t *testing.T, e *env) {
	job := e.register(NewJob("web"))
	nodes := e.nodes(20)
	allocs, idx := e.place(job, 10, nodes...)
	snap := e.snap()
	if len(allocs) != 200 || len(snap.AllocsByJob("default", "web")) != 200 {
		t.Fatalf("placed %d allocs", len(snap.AllocsByJob("default", "web")))
	}
	for _, n := range nodes {
		if len(snap.AllocsByNode(n.ID)) != 10 {
			t.Fatalf("node %s has %d allocs", n.Name, len(snap.AllocsByNode(n.ID)))
		}
	}
	if snap.Index() < idx {
		t.Fatal("store index behind the plan's")
	}
}
