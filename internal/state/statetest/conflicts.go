package statetest

import (
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var conflictTests = []testCase{
	{"ApplyPlanConflicts", testPlanConflicts},
}

// conflictWorld is the state a conflict case starts from: a job, node a
// (the plan's target, with one alloc) and node b (with one alloc).
type conflictWorld struct {
	job          *structs.Job
	a, b         *structs.Node
	onA, onB     *structs.Allocation
	planSnapshot uint64
}

// conflictCase changes the world after the plan's snapshot; conflict says
// whether a plan placing on node a must then be refused.
type conflictCase struct {
	name     string
	change   func(e *env, w *conflictWorld)
	conflict bool
}

var conflictCases = []conflictCase{
	{"job spec changed", func(e *env, w *conflictWorld) {
		j := NewJob("web")
		j.Priority = 90
		e.register(j)
	}, true},
	{"job stopped", func(e *env, w *conflictWorld) {
		e.must(e.s.DeregisterJob(e.ctx, "default", "web", false, nil))
	}, true},
	{"job purged", func(e *env, w *conflictWorld) {
		e.must(e.s.DeregisterJob(e.ctx, "default", "web", true, nil))
	}, true},
	{"node replaced", func(e *env, w *conflictWorld) {
		n := w.a.Copy()
		n.Drain = true
		e.must(e.s.UpsertNode(e.ctx, n))
	}, true},
	{"node status", func(e *env, w *conflictWorld) {
		e.must(e.s.UpdateNodeStatus(e.ctx, w.a.ID, structs.NodeStatusDown, nil))
	}, true},
	{"node deleted", func(e *env, w *conflictWorld) { e.must(e.s.DeleteNode(e.ctx, w.a.ID)) }, true},
	{"usage: other plan placed on node", func(e *env, w *conflictWorld) { e.place(w.job, 1, w.a) }, true},
	{"usage: other plan stopped alloc on node", func(e *env, w *conflictWorld) {
		plan, _ := e.planFor(w.job)
		plan.AppendStop(w.onA, "stop", "")
		e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	}, true},
	{"usage: client finished alloc on node", func(e *env, w *conflictWorld) {
		e.clientUpdate(w.onA, structs.AllocClientStatusComplete)
	}, true},
	{"unrelated eval", func(e *env, w *conflictWorld) {
		e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{NewEval(w.job)}))
	}, false},
	{"other node replaced", func(e *env, w *conflictWorld) {
		n := w.b.Copy()
		n.Drain = true
		e.must(e.s.UpsertNode(e.ctx, n))
	}, false},
	{"other plan placed on other node", func(e *env, w *conflictWorld) { e.place(w.job, 1, w.b) }, false},
	{"client running update on node", func(e *env, w *conflictWorld) {
		e.clientUpdate(w.onA, structs.AllocClientStatusRunning)
	}, false},
	{"other job registered", func(e *env, w *conflictWorld) { e.register(NewJob("other")) }, false},
}

func testPlanConflicts(t *testing.T, e *env) {
	for _, c := range conflictCases {
		t.Run(c.name, func(t *testing.T) {
			ce := &env{t: t, s: e.s, ctx: e.ctx}
			w := newConflictWorld(ce)
			c.change(ce, w)
			checkConflict(ce, w, c.conflict)
		})
	}
}

// newConflictWorld builds a case's world with new nodes and a freshly
// registered job, so cases can share one store.
func newConflictWorld(e *env) *conflictWorld {
	e.t.Helper()
	// A purge or stop in an earlier case must not leak: register afresh.
	_, _ = e.s.DeregisterJob(e.ctx, "default", "web", true, nil)
	w := &conflictWorld{job: e.register(NewJob("web")), a: e.node("a"), b: e.node("b")}
	onA, _ := e.place(w.job, 1, w.a)
	onB, _ := e.place(w.job, 1, w.b)
	w.onA, w.onB = onA[0], onB[0]
	w.job = e.snap().Job("default", "web")
	w.planSnapshot = e.snap().Index()
	return w
}

// checkConflict applies a plan placing two allocs on node a, computed at
// the world's snapshot, and checks it is refused (writing nothing) or
// applied.
func checkConflict(e *env, w *conflictWorld, conflict bool) {
	e.t.Helper()
	ev := NewEval(w.job)
	plan := structs.NewPlan(ev, w.planSnapshot)
	p1, p2 := NewAlloc(w.job, w.a, ev.ID, 10), NewAlloc(w.job, w.a, ev.ID, 11)
	plan.AppendAlloc(p1)
	plan.AppendAlloc(p2)
	_, err := e.s.ApplyPlan(e.ctx, plan, []*structs.Evaluation{ev})
	snap := e.snap()
	if !conflict {
		if err != nil || snap.Alloc(p1.ID) == nil || snap.Alloc(p2.ID) == nil {
			e.t.Fatalf("plan refused (%v), want applied", err)
		}
		return
	}
	if !errors.Is(err, state.ErrConflict) {
		e.t.Fatalf("error %v, want ErrConflict", err)
	}
	if snap.Alloc(p1.ID) != nil || snap.Alloc(p2.ID) != nil || snap.Eval(ev.ID) != nil {
		e.t.Fatal("a refused plan wrote something")
	}
}
