package statetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// NewFenceFunc returns a leadership fence for writes to s and a function
// that revokes it: once revoke returns, the leadership the fence stands
// for is over (an etcd lease revoked, an in-memory flag cleared).
type NewFenceFunc func(t *testing.T, s state.Store) (f state.Fence, revoke func())

// allTables is every table whose index the fencing tests watch.
var allTables = []state.Table{state.TableJobs, state.TableJobVersions, state.TableEvals, state.TableAllocs,
	state.TableNodes, state.TableServices, state.TableACLPolicies, state.TableACLTokens}

var fenceTests = []struct {
	name string
	fn   func(t *testing.T, e *env, newFence NewFenceFunc)
}{
	{"FencedWritesCommitWhileHeld", testFenceHeld},
	{"FencedWritesRefusedAfterRevoke", testFenceRevoked},
	{"UnfencedWritesGoOnAfterRevoke", testFenceOthersUnaffected},
}

// RunFence runs the leadership-fencing cases, each on a fresh store with
// a fresh fence.
func RunFence(t *testing.T, newStore NewStoreFunc, newFence NewFenceFunc) {
	t.Helper()
	for _, tc := range fenceTests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			t.Cleanup(cancel)
			tc.fn(t, &env{t: t, s: s, ctx: ctx}, newFence)
		})
	}
}

// bigPlan returns a plan placing perNode allocations of job on each of
// nodes: large enough to need several etcd transactions.
func (e *env) bigPlan(job *structs.Job, perNode int, nodes []*structs.Node) *structs.Plan {
	plan, ev := e.planFor(job)
	i := 0
	for _, n := range nodes {
		for range perNode {
			plan.AppendAlloc(NewAlloc(job, n, ev.ID, i))
			i++
		}
	}
	return plan
}

func testFenceHeld(t *testing.T, e *env, newFence NewFenceFunc) {
	f, _ := newFence(t, e.s)
	fenced := state.WithFence(e.ctx, f)
	job := NewJob("web")
	e.must(e.s.RegisterJob(fenced, job, []*structs.Evaluation{NewEval(job)}, nil))
	nodes := make([]*structs.Node, 0, 10)
	for _, name := range nodeNames(10) {
		n := NewNode(name)
		e.must(e.s.UpsertNode(fenced, n))
		nodes = append(nodes, n)
	}
	stored := e.snap().Job("default", "web")
	if stored == nil {
		t.Fatal("fenced job registration not stored")
	}
	e.must(e.s.ApplyPlan(fenced, e.bigPlan(stored, 20, nodes), nil))
	if got := len(e.snap().AllocsByJob("default", "web")); got != 200 {
		t.Fatalf("fenced plan stored %d allocations, want 200", got)
	}
}

// fencedWrite is one kind of write a deposed leader might still try.
type fencedWrite struct {
	name  string
	write func(ctx context.Context) (uint64, error)
}

func testFenceRevoked(t *testing.T, e *env, newFence NewFenceFunc) {
	job, _ := e.setup()
	nodes := append([]*structs.Node{e.snap().Nodes()[0]}, e.nodes(9)...)
	allocs, _ := e.place(job, 1, nodes[0])
	ev := NewEval(job)
	e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{ev}))
	reg := NewServiceRegistration("web", nodes[0].ID, allocs[0].ID, 20001)
	e.upsertServices(reg)

	f, revoke := newFence(t, e.s)
	revoke()
	before := e.snap()
	fenced := state.WithFence(e.ctx, f)
	for _, w := range e.deposedWrites(job, nodes, allocs[0], ev, reg) {
		_, err := w.write(fenced)
		if !errors.Is(err, state.ErrNotLeader) {
			t.Errorf("%s after the fence was revoked: error %v, want %v", w.name, err, state.ErrNotLeader)
		}
	}
	after := e.snap()
	for _, tb := range allTables {
		if b, a := before.TableIndex(tb), after.TableIndex(tb); a != b {
			t.Errorf("table %s index moved from %d to %d: a refused write was applied", tb, b, a)
		}
	}
	if n := len(after.Allocs()); n != 1 {
		t.Errorf("%d allocations stored after refused plans, want 1", n)
	}
	if a := after.Alloc(allocs[0].ID); a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending {
		t.Errorf("refused writes changed allocation: desired %s client %s", a.DesiredStatus, a.ClientStatus)
	}
	if n := after.Node(nodes[1].ID); n == nil || n.Status != structs.NodeStatusReady {
		t.Errorf("refused writes changed node %s: %+v", nodes[1].Name, n)
	}
	if j := after.Job("default", "web"); j == nil || j.Stop || j.Version != job.Version {
		t.Errorf("refused writes changed the job: %+v", j)
	}
}

// deposedWrites is every kind of write, each of which must be refused
// under a revoked fence; the plan is large enough to be split.
func (e *env) deposedWrites(job *structs.Job, nodes []*structs.Node, a *structs.Allocation, ev *structs.Evaluation, reg *structs.ServiceRegistration) []fencedWrite {
	s := e.s
	changed := job.Copy()
	changed.Meta = map[string]string{"owner": "deposed"}
	other := NewJob("other")
	stop := structs.NewPlan(NewEval(job), e.snap().Index())
	stop.AppendStop(a, "deposed leader stops it", "")
	failed := ev.Copy()
	failed.Status = structs.EvalStatusFailed
	upd := &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusFailed}
	moved := reg.Copy()
	moved.Port = 30000
	return []fencedWrite{
		{"register a new job", func(ctx context.Context) (uint64, error) {
			return s.RegisterJob(ctx, other, []*structs.Evaluation{NewEval(other)}, nil)
		}},
		{"change a job", func(ctx context.Context) (uint64, error) { return s.RegisterJob(ctx, changed, nil, nil) }},
		{"stop a job", func(ctx context.Context) (uint64, error) { return s.DeregisterJob(ctx, "default", "web", false, nil) }},
		{"purge a job", func(ctx context.Context) (uint64, error) { return s.DeregisterJob(ctx, "default", "web", true, nil) }},
		{"fail an evaluation", func(ctx context.Context) (uint64, error) {
			return s.UpsertEvals(ctx, []*structs.Evaluation{failed, NewEval(job)})
		}},
		{"delete an evaluation", func(ctx context.Context) (uint64, error) { return s.DeleteEvals(ctx, []string{ev.ID}) }},
		{"mark a node down", func(ctx context.Context) (uint64, error) {
			return s.UpdateNodeStatus(ctx, nodes[1].ID, structs.NodeStatusDown, []*structs.Evaluation{NewEval(job)})
		}},
		{"register a node", func(ctx context.Context) (uint64, error) { return s.UpsertNode(ctx, NewNode("late")) }},
		{"delete a node", func(ctx context.Context) (uint64, error) { return s.DeleteNode(ctx, nodes[2].ID) }},
		{"update an allocation", func(ctx context.Context) (uint64, error) {
			return s.UpdateAllocsFromClient(ctx, []*structs.Allocation{upd}, nil)
		}},
		{"stop an allocation", func(ctx context.Context) (uint64, error) { return s.ApplyPlan(ctx, stop, nil) }},
		{"place a multi-part plan", func(ctx context.Context) (uint64, error) {
			return s.ApplyPlan(ctx, e.bigPlan(job, 30, nodes[1:]), []*structs.Evaluation{NewEval(job)})
		}},
		{"register a service", func(ctx context.Context) (uint64, error) {
			return s.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{moved})
		}},
		{"delete a service", func(ctx context.Context) (uint64, error) {
			return s.DeleteServiceRegistrations(ctx, []string{reg.ID})
		}},
		{"write an ACL policy", func(ctx context.Context) (uint64, error) {
			return s.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: "deposed", Rules: `namespace "*" { policy = "read" }`}})
		}},
	}
}

func testFenceOthersUnaffected(t *testing.T, e *env, newFence NewFenceFunc) {
	job, node := e.setup()
	_, revoke := newFence(t, e.s)
	revoke()
	e.must(e.s.UpdateNodeStatus(e.ctx, node.ID, structs.NodeStatusDown, nil))
	next, _ := newFence(t, e.s)
	fenced := state.WithFence(e.ctx, next)
	e.must(e.s.UpsertEvals(fenced, []*structs.Evaluation{NewEval(job)}))
	if n := e.snap().Node(node.ID); n.Status != structs.NodeStatusDown {
		t.Fatalf("unfenced write after another fence was revoked not applied: node %s", n.Status)
	}
	if got := len(e.snap().EvalsByJob("default", "web")); got != 2 {
		t.Fatalf("write under a new fence not applied: %d evaluations, want 2", got)
	}
}
