package etcdstore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	if len(cfg.Endpoints) == 0 {
		cfg.Endpoints = sharedEtcd.Endpoints()
	}
	s, err := Open(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func must(t *testing.T) func(uint64, error) uint64 {
	return func(idx uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return idx
	}
}

func TestKeysRoundTrip(t *testing.T) {
	k := keys{DefaultPrefix}
	a := &structs.Allocation{Namespace: "team a/b", JobID: "web%1", ID: "x"}
	cases := []struct {
		key  string
		kind string
		segs []string
	}{
		{k.job("team a/b", "web/1"), kindJobs, []string{"team a/b", "web/1"}},
		{k.version("default", "web", 7), kindVersions, []string{"default", "web", "00000000000000000007"}},
		{k.alloc(a), kindAllocs, []string{"team a/b", "web%1", "x"}},
		{k.eval("e1"), kindEvals, []string{"e1"}},
		{k.node("n/1"), kindNodes, []string{"n/1"}},
		{k.usage("n1"), kindUsage, []string{"n1"}},
	}
	for _, c := range cases {
		p, err := k.parse(c.key)
		if err != nil || p.kind != c.kind || len(p.segs) != len(c.segs) {
			t.Fatalf("parse(%q) = %+v, %v", c.key, p, err)
		}
		for i := range c.segs {
			if p.segs[i] != c.segs[i] {
				t.Fatalf("parse(%q) segment %d = %q, want %q", c.key, i, p.segs[i], c.segs[i])
			}
		}
	}
	for _, bad := range []string{"/other/jobs/a/b", DefaultPrefix + "jobs/a", DefaultPrefix + "leases/x"} {
		if _, err := k.parse(bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestCodecMarkers(t *testing.T) {
	kv := func(v string) *mvccpb.KeyValue {
		return &mvccpb.KeyValue{Key: []byte("k"), Value: []byte(v), CreateRevision: 5, ModRevision: 9}
	}
	job := statetest.NewJob("web")
	job.JobModifyIndex = 3
	for _, spec := range []bool{true, false} {
		v, _ := encodeJob(job, spec)
		got, err := decodeJob(kv(v))
		want := map[bool]uint64{true: 9, false: 3}[spec]
		if err != nil || got.CreateIndex != 5 || got.ModifyIndex != 9 || got.JobModifyIndex != want {
			t.Fatalf("spec write %v: %+v, %v", spec, got, err)
		}
	}
	a := statetest.NewAlloc(job, statetest.NewNode("n"), "e", 0)
	a.AllocModifyIndex = 4
	v, _ := encodeAlloc(a, false)
	got, err := decodeAlloc(kv(v))
	if err != nil || got.Job != nil || got.AllocModifyIndex != 4 || a.Job == nil {
		t.Fatalf("alloc round trip: %+v, %v (input Job must stay set)", got, err)
	}
	v, _ = encodeAlloc(a, true)
	if got, _ := decodeAlloc(kv(v)); got.AllocModifyIndex != 9 {
		t.Fatalf("server write AllocModifyIndex = %d, want 9", got.AllocModifyIndex)
	}
}

func TestReloadAfterCompaction(t *testing.T) {
	ctx := testCtx(t)
	cfg := Config{Endpoints: sharedEtcd.Endpoints(), Prefix: NewTestPrefix()}
	writer := openTest(t, cfg)
	stale := newStore(cfg)
	if err := stale.connect(); err != nil {
		t.Fatal(err)
	}
	rev, err := stale.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must(t)(writer.RegisterJob(ctx, statetest.NewJob("web"), nil, nil))
	last := must(t)(writer.UpsertNode(ctx, statetest.NewNode("n")))
	if _, err := writer.Client().Compact(ctx, int64(last)); err != nil {
		t.Fatal(err)
	}
	stale.start(rev) // its watch starts below the compaction and must reload
	t.Cleanup(func() { _ = stale.Close() })
	if _, err := stale.WaitForChange(ctx, uint64(rev), state.TableNodes); err != nil {
		t.Fatal(err)
	}
	snap := stale.Snapshot()
	if snap.Job("default", "web") == nil || len(snap.Nodes()) != 1 || snap.Index() < last {
		t.Fatalf("reloaded index misses writes: job %v, %d nodes, index %d < %d",
			snap.Job("default", "web"), len(snap.Nodes()), snap.Index(), last)
	}
	must(t)(writer.UpsertEvals(ctx, []*structs.Evaluation{statetest.NewEval(statetest.NewJob("web"))}))
	if _, err := stale.WaitForChange(ctx, last, state.TableEvals); err != nil {
		t.Fatal("watch did not resume after the reload:", err)
	}
}

// setupNodes registers job "web" and n nodes on s.
func setupNodes(t *testing.T, s *Store, n int) (*structs.Job, []*structs.Node) {
	ctx := testCtx(t)
	must(t)(s.RegisterJob(ctx, statetest.NewJob("web"), nil, nil))
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		nodes[i] = statetest.NewNode("n")
		must(t)(s.UpsertNode(ctx, nodes[i]))
	}
	return s.Snapshot().Job("default", "web"), nodes
}

func TestSplitPlanConflictKeepsEarlierTransactions(t *testing.T) {
	ctx := testCtx(t)
	s := openTest(t, Config{Prefix: NewTestPrefix(), MaxTxnOps: 32})
	job, nodes := setupNodes(t, s, 4)
	ev := statetest.NewEval(job)
	plan := structs.NewPlan(ev, s.Snapshot().Index())
	for _, n := range nodes {
		for i := range 10 {
			plan.AppendAlloc(statetest.NewAlloc(job, n, ev.ID, i))
		}
	}
	items := planNodesInOrder(plan)
	var fired atomic.Bool
	s.afterCommit = func(uint64) {
		if fired.Swap(true) {
			return
		}
		n := s.Snapshot().Node(items[len(items)-1]).Copy()
		n.Drain = true
		must(t)(s.UpsertNode(ctx, n))
	}
	idx, err := s.ApplyPlan(ctx, plan, []*structs.Evaluation{ev})
	s.afterCommit = nil
	if !errors.Is(err, state.ErrConflict) || idx == 0 {
		t.Fatalf("ApplyPlan = %d, %v; want the first transaction's index and ErrConflict", idx, err)
	}
	snap := s.Snapshot()
	if got := len(snap.AllocsByNode(items[0])); got != 10 {
		t.Fatalf("first node has %d allocs, want 10 (earlier transaction kept)", got)
	}
	if got := len(snap.AllocsByNode(items[len(items)-1])); got != 0 {
		t.Fatalf("changed node got %d allocs", got)
	}
	if snap.Eval(ev.ID) != nil {
		t.Fatal("the plan's eval was written though the plan was cut short")
	}
}

// planNodesInOrder lists the plan's nodes in the order it is written.
func planNodesInOrder(p *structs.Plan) []string {
	var out []string
	for _, it := range rules.PlanItems(p) {
		if len(out) == 0 || out[len(out)-1] != it.Alloc.NodeID {
			out = append(out, it.Alloc.NodeID)
		}
	}
	return out
}

func TestLostRaceRebuildsMerge(t *testing.T) {
	cases := []struct {
		name  string
		write func(ctx context.Context, s *Store, a *structs.Allocation) (uint64, error)
		race  func(ctx context.Context, s *Store, a *structs.Allocation) (uint64, error)
	}{
		{"plan stop loses to client update", stopAlloc, runAlloc},
		{"client update loses to plan stop", runAlloc, stopAlloc},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			cfg := Config{Prefix: NewTestPrefix()}
			s, other := openTest(t, cfg), openTest(t, cfg)
			job, nodes := setupNodes(t, s, 1)
			ev := statetest.NewEval(job)
			plan := structs.NewPlan(ev, s.Snapshot().Index())
			a := statetest.NewAlloc(job, nodes[0], ev.ID, 0)
			plan.AppendAlloc(a)
			must(t)(s.ApplyPlan(ctx, plan, nil))
			must(t)(other.WaitForChange(ctx, s.Snapshot().Index()-1, state.TableAllocs))
			var fired atomic.Bool
			s.beforeCommit = func() {
				if !fired.Swap(true) {
					must(t)(c.race(ctx, other, a))
				}
			}
			before := s.Writes()
			must(t)(c.write(ctx, s, a))
			s.beforeCommit = nil
			got := s.Snapshot().Alloc(a.ID)
			if got.DesiredStatus != structs.AllocDesiredStatusStop || got.ClientStatus != structs.AllocClientStatusRunning {
				t.Fatalf("alloc = desired %s client %s; want both writes merged", got.DesiredStatus, got.ClientStatus)
			}
			if s.Writes()-before != 2 {
				t.Fatalf("%d transactions, want 2 (one lost race, one retry)", s.Writes()-before)
			}
		})
	}
}

func stopAlloc(ctx context.Context, s *Store, a *structs.Allocation) (uint64, error) {
	plan := &structs.Plan{Namespace: a.Namespace, JobID: a.JobID, SnapshotIndex: s.Snapshot().Index(),
		NodeUpdate: map[string][]*structs.Allocation{}}
	plan.AppendStop(a, "stop", "")
	return s.ApplyPlan(ctx, plan, nil)
}

func runAlloc(ctx context.Context, s *Store, a *structs.Allocation) (uint64, error) {
	upd := &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusRunning}
	return s.UpdateAllocsFromClient(ctx, []*structs.Allocation{upd}, nil)
}

func TestWaitAppliedWithoutEvents(t *testing.T) {
	ctx := testCtx(t)
	s := openTest(t, Config{Prefix: NewTestPrefix()})
	resp, err := s.Client().Put(ctx, "/outside/the/prefix", "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.waitApplied(ctx, uint64(resp.Header.Revision)); err != nil {
		t.Fatalf("waiting for a revision with no event under the prefix: %v", err)
	}
}

// clientGoroutines counts goroutines of the store and of etcd's client
// side (the embedded server's own goroutines come and go on their own).
func clientGoroutines() (int, string) {
	buf := make([]byte, 4<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	n := 0
	var mine []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "TestCloseLeavesNoGoroutines") {
			continue
		}
		if strings.Contains(g, "wharf/internal/state") || strings.Contains(g, "etcd/client/v3.") {
			n++
			mine = append(mine, g)
		}
	}
	return n, strings.Join(mine, "\n\n")
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	ctx := testCtx(t)
	before, _ := clientGoroutines()
	s, err := Open(ctx, Config{Endpoints: sharedEtcd.Endpoints(), Prefix: NewTestPrefix()})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(s.UpsertNode(ctx, statetest.NewNode("n")))
	waiting := make(chan error, 1)
	go func() { _, err := s.WaitForChange(ctx, s.Snapshot().Index()); waiting <- err }()
	if during, _ := clientGoroutines(); during <= before {
		t.Fatalf("goroutine count does not see the store (%d before, %d open)", before, during)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, state.ErrClosed) {
		t.Fatalf("waiter: %v, want ErrClosed", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, stacks := clientGoroutines()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d store/client goroutines after Close, %d before:\n%s", n, before, stacks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenWithoutEndpoints(t *testing.T) {
	if _, err := Open(testCtx(t), Config{}); err == nil {
		t.Fatal("Open without endpoints or client succeeded")
	}
}

// TestConditionalServiceUpsertLosesCommitRace writes, from another store
// on the same etcd, the ID a conditional upsert checked absent, after
// this store built its transaction and before it commits: the commit's
// revision guard fails, the rebuild sees the new registration and the
// upsert is refused, leaving the other writer's registration.
func TestConditionalServiceUpsertLosesCommitRace(t *testing.T) {
	ctx := testCtx(t)
	cfg := Config{Prefix: NewTestPrefix()}
	s, other := openTest(t, cfg), openTest(t, cfg)
	task := statetest.NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	outside := task.Copy()
	outside.NodeID, outside.AllocID, outside.Address = "", "", "10.6.6.6"
	var fired atomic.Bool
	s.beforeCommit = func() {
		if !fired.Swap(true) {
			must(t)(other.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{task}))
		}
	}
	_, err := s.UpsertServiceRegistrationsIf(ctx, []*structs.ServiceRegistration{outside}, map[string]uint64{task.ID: 0})
	s.beforeCommit = nil
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("error = %v, want a conflict", err)
	}
	if got := s.Snapshot().ServiceRegistration(task.ID); got == nil || got.Address != task.Address || got.AllocID != "alloc-1" {
		t.Fatalf("stored = %+v, want the task's registration", got)
	}
}
