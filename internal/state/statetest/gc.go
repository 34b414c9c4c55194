package statetest

import (
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var gcTests = []testCase{
	{"DeleteAllocs", testDeleteAllocs},
	{"DeleteRunningAllocTouchesUsage", testDeleteRunningAlloc},
	{"PurgeJobs", testPurgeJobs},
	{"PurgeJobsSkipsChangedJob", testPurgeChangedJob},
	{"PurgeManyJobs", testPurgeManyJobs},
	{"PurgeJobWithManyAllocs", testPurgeJobWithManyAllocs},
	{"DeleteNodes", testDeleteNodes},
}

func testDeleteAllocs(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 3, node)
	e.clientUpdate(allocs[0], structs.AllocClientStatusComplete)
	idx := e.must(e.s.DeleteAllocs(e.ctx, []string{allocs[0].ID, "unknown-alloc"}))
	snap := e.snap()
	switch {
	case snap.Alloc(allocs[0].ID) != nil:
		t.Fatal("deleted alloc still readable")
	case len(snap.AllocsByJob("default", "web")) != 2 || len(snap.AllocsByNode(node.ID)) != 2:
		t.Fatal("job or node index still lists the deleted alloc, or lost others")
	case len(snap.AllocsByEval(allocs[0].EvalID)) != 2 || len(snap.AllocsByIDPrefix(allocs[0].ID[:8])) != 0:
		t.Fatal("eval or prefix index still lists the deleted alloc")
	case snap.TableIndex(state.TableAllocs) != idx:
		t.Fatalf("allocs table index %d, want %d", snap.TableIndex(state.TableAllocs), idx)
	}
	if again := e.must(e.s.DeleteAllocs(e.ctx, []string{allocs[0].ID})); again < idx {
		t.Fatalf("no-op delete returned index %d < %d", again, idx)
	}
}

// testDeleteRunningAlloc: deleting an allocation that holds resources
// frees them as a stop would, so a plan computed before it conflicts.
func testDeleteRunningAlloc(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 1, node)
	plan, ev := e.planFor(job)
	plan.AppendAlloc(NewAlloc(job, node, ev.ID, 7))
	e.must(e.s.DeleteAllocs(e.ctx, []string{allocs[0].ID}))
	e.fails(state.ErrConflict)(e.s.ApplyPlan(e.ctx, plan, nil))
}

// deadJob stores job with two versions, its evals complete and one
// complete alloc, and returns the garbage naming all of it.
func (e *env) deadJob(id string, node *structs.Node) state.JobGarbage {
	e.t.Helper()
	job := NewJob(id)
	job.Type = structs.JobTypeBatch
	e.register(job)
	v2 := NewJob(id)
	v2.Type = structs.JobTypeBatch
	v2.Meta["rev"] = "2"
	stored := e.register(v2)
	allocs, _ := e.place(stored, 1, node)
	e.clientUpdate(allocs[0], structs.AllocClientStatusComplete)
	g := state.JobGarbage{Namespace: "default", ID: id, Allocs: []string{allocs[0].ID}}
	for _, ev := range e.snap().EvalsByJob("default", id) {
		c := ev.Copy()
		c.Status = structs.EvalStatusComplete
		e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{c}))
		g.Evals = append(g.Evals, c.ID)
	}
	j := e.snap().Job("default", id)
	if j.Status != structs.JobStatusDead {
		e.t.Fatalf("job %s is %s, want dead", id, j.Status)
	}
	g.ModifyIndex = j.ModifyIndex
	return g
}

// noTrace fails unless nothing of job id is left.
func (e *env) noTrace(g state.JobGarbage) {
	e.t.Helper()
	snap := e.snap()
	switch {
	case snap.Job(g.Namespace, g.ID) != nil:
		e.t.Fatalf("job %s still stored", g.ID)
	case len(snap.JobVersions(g.Namespace, g.ID)) != 0:
		e.t.Fatalf("versions of %s still stored", g.ID)
	case len(snap.EvalsByJob(g.Namespace, g.ID)) != 0 || len(snap.AllocsByJob(g.Namespace, g.ID)) != 0:
		e.t.Fatalf("evals or allocs of %s still stored", g.ID)
	}
	for _, id := range g.Evals {
		if snap.Eval(id) != nil {
			e.t.Fatalf("eval %s of %s still stored", id, g.ID)
		}
	}
}

func testPurgeJobs(t *testing.T, e *env) {
	node := e.node("a")
	g := e.deadJob("batch", node)
	keep := e.register(NewJob("web"))
	idx := e.must(e.s.PurgeJobs(e.ctx, []state.JobGarbage{g, {Namespace: "default", ID: "unknown", ModifyIndex: 1}}))
	e.noTrace(g)
	snap := e.snap()
	if snap.Job("default", "web") == nil || len(snap.EvalsByJob("default", "web")) != 1 {
		t.Fatal("purge touched another job")
	}
	for _, tb := range []state.Table{state.TableJobs, state.TableJobVersions, state.TableEvals, state.TableAllocs} {
		if got := snap.TableIndex(tb); got != idx {
			t.Errorf("table %s index %d, want %d", tb, got, idx)
		}
	}
	if _, err := e.s.RegisterJob(e.ctx, NewJob("batch"), nil, ptr(0)); err != nil {
		t.Fatalf("registering a purged job's ID as new: %v", err)
	}
	_ = keep
}

func testPurgeChangedJob(t *testing.T, e *env) {
	node := e.node("a")
	g := e.deadJob("batch", node)
	again := NewJob("batch")
	again.Type = structs.JobTypeBatch
	again.Meta["rev"] = "3"
	e.register(again)
	e.must(e.s.PurgeJobs(e.ctx, []state.JobGarbage{g}))
	snap := e.snap()
	if snap.Job("default", "batch") == nil || len(snap.JobVersions("default", "batch")) != 3 {
		t.Fatal("a job registered again after the collector saw it was purged")
	}
	if snap.Alloc(g.Allocs[0]) == nil || snap.Eval(g.Evals[0]) == nil {
		t.Fatal("the objects named with a kept job were deleted")
	}
}

func testPurgeManyJobs(t *testing.T, e *env) {
	node := e.node("a")
	var gs []state.JobGarbage
	for i := range 40 {
		gs = append(gs, e.deadJob(nodeNames(40)[i], node))
	}
	e.must(e.s.PurgeJobs(e.ctx, gs))
	for _, g := range gs {
		e.noTrace(g)
	}
	snap := e.snap()
	if len(snap.Jobs("*")) != 0 || len(snap.Allocs()) != 0 || len(snap.Evals()) != 0 {
		t.Fatalf("left: %d jobs, %d allocs, %d evals", len(snap.Jobs("*")), len(snap.Allocs()), len(snap.Evals()))
	}
}

func testDeleteNodes(t *testing.T, e *env) {
	a, b, c := e.node("a"), e.node("b"), e.node("c")
	e.must(e.s.UpdateNodeStatus(e.ctx, b.ID, structs.NodeStatusDown, nil))
	idx := e.must(e.s.DeleteNodes(e.ctx, []state.NodeGarbage{
		{ID: a.ID, ModifyIndex: a.ModifyIndex}, {ID: b.ID, ModifyIndex: b.ModifyIndex}, {ID: "unknown", ModifyIndex: 1},
	}))
	snap := e.snap()
	switch {
	case snap.Node(a.ID) != nil:
		t.Fatal("node at the seen index not deleted")
	case snap.Node(b.ID) == nil:
		t.Fatal("node changed since it was seen was deleted")
	case snap.Node(c.ID) == nil || len(snap.Nodes()) != 2:
		t.Fatal("an unnamed node was deleted")
	case snap.TableIndex(state.TableNodes) != idx:
		t.Fatalf("nodes table index %d, want %d", snap.TableIndex(state.TableNodes), idx)
	}
	if _, err := e.s.UpdateNodeStatus(e.ctx, a.ID, structs.NodeStatusReady, nil); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("status of a deleted node: %v, want ErrNotFound", err)
	}
}

// testPurgeJobWithManyAllocs purges a job with more objects than a small
// transaction holds (the etcd store then deletes them first, then the
// job).
func testPurgeJobWithManyAllocs(t *testing.T, e *env) {
	node := e.node("a")
	job := NewJob("wide")
	job.Type = structs.JobTypeBatch
	stored := e.register(job)
	allocs, _ := e.place(stored, 40, node)
	var upd []*structs.Allocation
	g := state.JobGarbage{Namespace: "default", ID: "wide"}
	for _, a := range allocs {
		upd = append(upd, &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusComplete})
		g.Allocs = append(g.Allocs, a.ID)
	}
	e.must(e.s.UpdateAllocsFromClient(e.ctx, upd, nil))
	for _, ev := range e.snap().EvalsByJob("default", "wide") {
		c := ev.Copy()
		c.Status = structs.EvalStatusComplete
		e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{c}))
		g.Evals = append(g.Evals, c.ID)
	}
	g.ModifyIndex = e.snap().Job("default", "wide").ModifyIndex
	e.must(e.s.PurgeJobs(e.ctx, []state.JobGarbage{g}))
	e.noTrace(g)
	if n := len(e.snap().Allocs()); n != 0 {
		t.Fatalf("%d allocations left", n)
	}
}
