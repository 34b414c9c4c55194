package etcdstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// startEtcd starts a member of its own in dir and stops it when the test
// ends (Close twice is harmless for the restart test).
func startEtcd(t *testing.T, cfg embedetcd.Config) *embedetcd.Server {
	t.Helper()
	cfg.UnsafeNoFsync = true
	srv, err := embedetcd.Start(testContext(t), cfg)
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// populate writes some of everything: a job with versions, a purged job,
// nodes (one deleted, one down), placed, updated and stopped allocations,
// evaluations.
func populate(t *testing.T, s state.Store) {
	t.Helper()
	ctx := testContext(t)
	must := func(_ uint64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		job := statetest.NewJob("web")
		job.Priority = 50 + i
		must(s.RegisterJob(ctx, job, []*structs.Evaluation{statetest.NewEval(job)}, nil))
	}
	must(s.RegisterJob(ctx, statetest.NewJob("gone"), nil, nil))
	must(s.DeregisterJob(ctx, "default", "gone", true, nil))
	var nodes []*structs.Node
	for i := range 4 {
		n := statetest.NewNode(fmt.Sprintf("n%d", i))
		must(s.UpsertNode(ctx, n))
		nodes = append(nodes, n)
	}
	must(s.UpdateNodeStatus(ctx, nodes[1].ID, structs.NodeStatusDown, nil))
	must(s.DeleteNode(ctx, nodes[3].ID))
	job := s.Snapshot().Job("default", "web")
	ev := statetest.NewEval(job)
	plan := structs.NewPlan(ev, s.Snapshot().Index())
	for i, n := range nodes[:3] {
		plan.AppendAlloc(statetest.NewAlloc(job, n, ev.ID, i))
	}
	must(s.ApplyPlan(ctx, plan, []*structs.Evaluation{ev}))
	a := plan.NodeAllocation[nodes[0].ID][0]
	must(s.UpdateAllocsFromClient(ctx, []*structs.Allocation{{ID: a.ID, ClientStatus: structs.AllocClientStatusRunning,
		TaskStates: map[string]*structs.TaskState{"app": {State: structs.TaskStateRunning, StartedAt: time.Now()}}}}, nil))
	stop := structs.NewPlan(ev, s.Snapshot().Index())
	stop.AppendStop(plan.NodeAllocation[nodes[1].ID][0], "node down", structs.AllocClientStatusLost)
	must(s.ApplyPlan(ctx, stop, nil))
}

// dump renders every object of a snapshot, indexes included.
func dump(t *testing.T, snap state.Snapshot) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = string(b)
	}
	for _, j := range snap.Jobs("*") {
		put("job/"+j.ID, j)
		for _, v := range snap.JobVersions(j.Namespace, j.ID) {
			put(fmt.Sprintf("version/%s/%d", j.ID, v.Version), v)
		}
	}
	for _, e := range snap.Evals() {
		put("eval/"+e.ID, e)
	}
	for _, a := range snap.Allocs() {
		put("alloc/"+a.ID, a)
	}
	for _, n := range snap.Nodes() {
		put("node/"+n.ID, n)
	}
	return out
}

func TestRestartKeepsStateAndIndexes(t *testing.T) {
	dir := t.TempDir()
	srv := startEtcd(t, embedetcd.Config{DataDir: dir})
	cfg := embeddedConfig(srv, etcdstore.DefaultPrefix)
	s := open(t, cfg)
	populate(t, s)
	before := dump(t, s.Snapshot())
	_ = s.Close()
	_ = srv.Close()

	srv = startEtcd(t, embedetcd.Config{DataDir: dir, ClientURL: srv.Endpoints()[0], PeerURL: srv.PeerURL()})
	after := dump(t, open(t, embeddedConfig(srv, etcdstore.DefaultPrefix)).Snapshot())
	if len(before) < 12 || len(after) != len(before) {
		t.Fatalf("%d objects before restart, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed across restart:\nbefore %s\nafter  %s", k, v, after[k])
		}
	}
}

func TestTwoStoresSeeEachOther(t *testing.T) {
	ctx := testContext(t)
	cfg := embeddedConfig(shared(), newPrefix())
	a, b := open(t, cfg), open(t, cfg)
	job := statetest.NewJob("web")
	idx, err := a.RegisterJob(ctx, job, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.WaitForChange(ctx, idx-1, state.TableJobs); err != nil || got != idx {
		t.Fatalf("b waited: %d, %v; want %d", got, err, idx)
	}
	stored := b.Snapshot().Job("default", "web")
	if stored == nil || stored.JobModifyIndex != idx {
		t.Fatalf("b sees job %+v", stored)
	}
	node := statetest.NewNode("n")
	if _, err := b.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitForChange(ctx, idx, state.TableNodes); err != nil {
		t.Fatal(err)
	}
	// a plans on a snapshot; b changes the node; a's plan must be refused.
	ev := statetest.NewEval(stored)
	plan := structs.NewPlan(ev, a.Snapshot().Index())
	plan.AppendAlloc(statetest.NewAlloc(stored, node, ev.ID, 0))
	node.Drain = true
	if _, err := b.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ApplyPlan(ctx, plan, nil); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("plan after b changed the node: %v, want ErrConflict", err)
	}
	// enforceIndex across servers.
	changed := statetest.NewJob("web")
	changed.Priority = 10
	stale := stored.JobModifyIndex
	if _, err := b.RegisterJob(ctx, changed, nil, &stale); err != nil {
		t.Fatal(err)
	}
	changed.Priority = 20
	if _, err := a.RegisterJob(ctx, changed, nil, &stale); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("a's register with b's stale index: %v, want ErrConflict", err)
	}
	checkSameTableIndexes(t, a, b)
}

// checkSameTableIndexes waits until a and b applied the same writes and
// checks that they report the same index for every table.
func checkSameTableIndexes(t *testing.T, a, b *etcdstore.Store) {
	t.Helper()
	ctx := testContext(t)
	last := max(a.Snapshot().TableIndex(), b.Snapshot().TableIndex())
	for _, s := range []*etcdstore.Store{a, b} {
		if _, err := s.WaitForChange(ctx, last-1); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []state.Table{state.TableJobs, state.TableJobVersions, state.TableEvals,
		state.TableAllocs, state.TableNodes} {
		if ia, ib := a.Snapshot().TableIndex(table), b.Snapshot().TableIndex(table); ia != ib {
			t.Errorf("table %s: index %d on one server, %d on the other", table, ia, ib)
		}
	}
}

func TestExternalEtcd(t *testing.T) {
	ext := startEtcd(t, embedetcd.Config{DataDir: t.TempDir(), MaxTxnOps: etcdstore.DefaultMaxTxnOps,
		MaxRequestBytes: etcdstore.DefaultMaxRequestBytes})
	s := open(t, etcdstore.Config{Endpoints: ext.Endpoints()})
	allocs := placeMany(t, s, 100, 20)
	if got := len(s.Snapshot().AllocsByJob("default", "web")); got != allocs {
		t.Fatalf("%d allocs stored, want %d", got, allocs)
	}
}

// placeMany registers a job and nodes and places perNode allocations on
// each in one plan; it returns how many it placed.
func placeMany(t testing.TB, s *etcdstore.Store, nodes, perNode int) int {
	t.Helper()
	ctx := context.Background()
	job := statetest.NewJob("web")
	if _, err := s.RegisterJob(ctx, job, nil, nil); err != nil {
		t.Fatal(err)
	}
	ns := make([]*structs.Node, nodes)
	for i := range ns {
		ns[i] = statetest.NewNode(fmt.Sprintf("n%04d", i))
		if _, err := s.UpsertNode(ctx, ns[i]); err != nil {
			t.Fatal(err)
		}
	}
	plan := bigPlan(s, ns, perNode)
	before := s.Writes()
	if _, err := s.ApplyPlan(ctx, plan, nil); err != nil {
		t.Fatalf("apply plan of %d: %v", plan.Size(), err)
	}
	if txns := s.Writes() - before; txns < 2 {
		t.Fatalf("a plan of %d allocs took %d transaction(s), want it split", plan.Size(), txns)
	}
	return plan.Size()
}

// bigPlan places perNode allocations of the store's job on each node.
func bigPlan(s state.Store, nodes []*structs.Node, perNode int) *structs.Plan {
	job := s.Snapshot().Job("default", "web")
	ev := statetest.NewEval(job)
	plan := structs.NewPlan(ev, s.Snapshot().Index())
	for _, n := range nodes {
		for i := range perNode {
			plan.AppendAlloc(statetest.NewAlloc(job, n, ev.ID, i))
		}
	}
	return plan
}

func TestBigPlanSplits(t *testing.T) {
	cases := []struct {
		name           string
		ops, bytes     int
		nodes, perNode int
	}{
		{"10k on embedded limits", shared().MaxTxnOps(), shared().MaxRequestBytes(), 1000, 10},
		{"byte limit", 4096, 256 << 10, 50, 20},
		{"one node over the op limit", 64, 4 << 20, 2, 150},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, etcdstore.Config{Endpoints: shared().Endpoints(), Prefix: newPrefix(),
				MaxTxnOps: c.ops, MaxRequestBytes: c.bytes})
			want := placeMany(t, s, c.nodes, c.perNode)
			snap := s.Snapshot()
			if got := len(snap.AllocsByJob("default", "web")); got != want {
				t.Fatalf("%d allocs stored, want %d", got, want)
			}
			for _, n := range snap.Nodes() {
				if got := len(snap.AllocsByNode(n.ID)); got != c.perNode {
					t.Fatalf("node %s has %d allocs, want %d", n.Name, got, c.perNode)
				}
			}
		})
	}
}
