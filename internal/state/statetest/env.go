package statetest

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// env is one test's store and the helpers that fail the test on errors.
type env struct {
	t   *testing.T
	s   state.Store
	ctx context.Context
}

func (e *env) snap() state.Snapshot { return e.s.Snapshot() }

func (e *env) must(idx uint64, err error) uint64 {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
	return idx
}

// fails returns a check that a write's error wraps target:
// e.fails(state.ErrConflict)(e.s.RegisterJob(...)).
func (e *env) fails(target error) func(uint64, error) {
	return func(_ uint64, err error) {
		e.t.Helper()
		if !errors.Is(err, target) {
			e.t.Fatalf("error = %v, want %v", err, target)
		}
	}
}

// register stores job (with one eval) and returns the stored job.
func (e *env) register(job *structs.Job) *structs.Job {
	e.t.Helper()
	e.must(e.s.RegisterJob(e.ctx, job, []*structs.Evaluation{NewEval(job)}, nil))
	stored := e.snap().Job(job.Namespace, job.ID)
	if stored == nil {
		e.t.Fatalf("job %s not stored", job.ID)
	}
	return stored
}

// node stores a new ready node and returns the stored node.
func (e *env) node(name string) *structs.Node {
	e.t.Helper()
	n := NewNode(name)
	e.must(e.s.UpsertNode(e.ctx, n))
	return e.snap().Node(n.ID)
}

// nodes stores n nodes.
func (e *env) nodes(n int) []*structs.Node {
	e.t.Helper()
	out := make([]*structs.Node, 0, n)
	for _, name := range nodeNames(n) {
		out = append(out, e.node(name))
	}
	return out
}

// planFor returns an empty plan for job at the current index.
func (e *env) planFor(job *structs.Job) (*structs.Plan, *structs.Evaluation) {
	ev := NewEval(job)
	return structs.NewPlan(ev, e.snap().Index()), ev
}

// place applies a plan placing perNode allocations of job on each node
// and returns the stored allocations and the write index.
func (e *env) place(job *structs.Job, perNode int, nodes ...*structs.Node) ([]*structs.Allocation, uint64) {
	e.t.Helper()
	plan, ev := e.planFor(job)
	i := 0
	for _, n := range nodes {
		for range perNode {
			plan.AppendAlloc(NewAlloc(job, n, ev.ID, i))
			i++
		}
	}
	idx := e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	snap := e.snap()
	var out []*structs.Allocation
	for _, as := range plan.NodeAllocation {
		for _, a := range as {
			stored := snap.Alloc(a.ID)
			if stored == nil {
				e.t.Fatalf("alloc %s not stored", a.ID)
			}
			out = append(out, stored)
		}
	}
	return out, idx
}

// setup stores a job and one node.
func (e *env) setup() (*structs.Job, *structs.Node) {
	e.t.Helper()
	return e.register(NewJob("web")), e.node("node-a")
}

// clientUpdate reports a client status for an allocation.
func (e *env) clientUpdate(a *structs.Allocation, status string) uint64 {
	e.t.Helper()
	upd := &structs.Allocation{ID: a.ID, ClientStatus: status, ClientDescription: "client says " + status,
		TaskStates: map[string]*structs.TaskState{"app": {State: structs.TaskStateRunning}}}
	return e.must(e.s.UpdateAllocsFromClient(e.ctx, []*structs.Allocation{upd}, nil))
}

func ids[T any](objs []*T, id func(*T) string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = id(o)
	}
	return out
}

func jobIDs(js []*structs.Job) []string { return ids(js, func(j *structs.Job) string { return j.ID }) }
func evalIDs(es []*structs.Evaluation) []string {
	return ids(es, func(e *structs.Evaluation) string { return e.ID })
}
func allocIDs(as []*structs.Allocation) []string {
	return ids(as, func(a *structs.Allocation) string { return a.ID })
}
