package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// gcFixture builds state through a store the way the servers do.
type gcFixture struct {
	t    testing.TB
	ctx  context.Context
	st   state.Store
	node *structs.Node
}

func newGCFixture(t testing.TB, st state.Store) *gcFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &gcFixture{t: t, ctx: ctx, st: st, node: statetest.NewNode("gc-node")}
	f.must(st.UpsertNode(ctx, f.node))
	return f
}

func (f *gcFixture) must(idx uint64, err error) uint64 {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	return idx
}

// job registers job (of type typ) and places count allocations on the
// fixture's node; it returns them.
func (f *gcFixture) job(id, typ string, count int) []*structs.Allocation {
	f.t.Helper()
	j := statetest.NewJob(id)
	j.Type = typ
	j.TaskGroups[0].ReschedulePolicy = structs.DefaultReschedulePolicy(typ)
	ev := statetest.NewEval(j)
	// Complete from the start, so a leader running in the test does not
	// schedule the job itself.
	ev.Status = structs.EvalStatusComplete
	f.must(f.st.RegisterJob(f.ctx, j, []*structs.Evaluation{ev}, nil))
	stored := f.st.Snapshot().Job("default", id)
	plan := structs.NewPlan(ev, f.st.Snapshot().Index())
	for i := range count {
		plan.AppendAlloc(statetest.NewAlloc(stored, f.node, ev.ID, i))
	}
	f.must(f.st.ApplyPlan(f.ctx, plan, nil))
	return f.st.Snapshot().AllocsByJob("default", id)
}

// finish reports allocs with client status and completes evals.
func (f *gcFixture) finish(allocs []*structs.Allocation, status string, evalIDs ...string) {
	f.t.Helper()
	var upd []*structs.Allocation
	for _, a := range allocs {
		upd = append(upd, &structs.Allocation{ID: a.ID, ClientStatus: status})
	}
	f.must(f.st.UpdateAllocsFromClient(f.ctx, upd, nil))
	var evs []*structs.Evaluation
	for _, id := range evalIDs {
		c := f.st.Snapshot().Eval(id).Copy()
		c.Status = structs.EvalStatusComplete
		evs = append(evs, c)
	}
	f.must(f.st.UpsertEvals(f.ctx, evs))
}

func (f *gcFixture) evalsOf(id string) []string {
	var ids []string
	for _, e := range f.st.Snapshot().EvalsByJob("default", id) {
		ids = append(ids, e.ID)
	}
	return ids
}

func newGCServer(t testing.TB, st state.Store, gc GCConfig) *Server {
	t.Helper()
	srv, err := New(Config{Store: st, GC: gc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestFindGarbageFollowsNomadsRules checks each kind of object against
// the thresholds, with time moved forward instead of waiting.
func TestFindGarbageFollowsNomadsRules(t *testing.T) {
	f := newGCFixture(t, memstore.New())
	deadBatch := f.job("dead-batch", structs.JobTypeBatch, 1)
	f.finish(deadBatch, structs.AllocClientStatusComplete, f.evalsOf("dead-batch")...)
	runBatch := f.job("running-batch", structs.JobTypeBatch, 2)
	f.finish(runBatch[:1], structs.AllocClientStatusComplete, f.evalsOf("running-batch")...)
	svc := f.job("svc", structs.JobTypeService, 2)
	f.finish(svc[:1], structs.AllocClientStatusRunning)
	stop := structs.NewPlan(statetest.NewEval(statetest.NewJob("svc")), f.st.Snapshot().Index())
	stop.AppendStop(svc[1], "scaled down", "")
	f.must(f.st.ApplyPlan(f.ctx, stop, nil))
	f.finish(svc[1:], structs.AllocClientStatusComplete, f.evalsOf("svc")...)
	failed := f.job("failing", structs.JobTypeService, 2)
	f.finish(failed[:1], structs.AllocClientStatusRunning)
	f.finish(failed[1:], structs.AllocClientStatusFailed, f.evalsOf("failing")...)
	down := statetest.NewNode("down-empty")
	f.must(f.st.UpsertNode(f.ctx, down))
	f.must(f.st.UpdateNodeStatus(f.ctx, down.ID, structs.NodeStatusDown, nil))

	snap := f.st.Snapshot()
	cfg := GCConfig{}.withDefaults()
	now := time.Now()
	cases := []struct {
		name      string
		at        time.Time
		force     bool
		jobs      []string
		allocs    []string // of live jobs
		evals     int
		nodes     []string
		jobAllocs int
	}{
		{name: "nothing old enough", at: now},
		{name: "past eval threshold", at: now.Add(90 * time.Minute), allocs: []string{svc[1].ID}},
		{name: "past job threshold", at: now.Add(5 * time.Hour), jobs: []string{"dead-batch"},
			allocs: []string{svc[1].ID}, jobAllocs: 1},
		{name: "past node threshold", at: now.Add(25 * time.Hour), jobs: []string{"dead-batch"},
			allocs: []string{svc[1].ID}, nodes: []string{down.ID}, jobAllocs: 1},
		{name: "forced", at: now, force: true, jobs: []string{"dead-batch"},
			allocs: []string{svc[1].ID}, nodes: []string{down.ID}, jobAllocs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := findGarbage(snap, cfg.cutoffs(c.at, c.force))
			var jobs, nodes []string
			jobAllocs := 0
			for _, j := range g.jobs {
				jobs = append(jobs, j.ID)
				jobAllocs += len(j.Allocs)
				if len(j.Evals) == 0 {
					t.Errorf("job %s collected without its evals", j.ID)
				}
			}
			for _, n := range g.nodes {
				nodes = append(nodes, n.ID)
			}
			if !slices.Equal(jobs, c.jobs) || !slices.Equal(g.allocs, c.allocs) || !slices.Equal(nodes, c.nodes) || jobAllocs != c.jobAllocs {
				t.Fatalf("jobs %v allocs %v nodes %v (job allocs %d), want %v %v %v (%d)",
					jobs, g.allocs, nodes, jobAllocs, c.jobs, c.allocs, c.nodes, c.jobAllocs)
			}
			// Evaluations of jobs with running or reschedulable
			// allocations, and of the running batch job, always stay.
			for _, e := range g.evals {
				if ev := snap.Eval(e); ev.JobID != "svc" {
					t.Errorf("eval of %s collected", ev.JobID)
				}
			}
		})
	}
}

func TestAllocCollectableRules(t *testing.T) {
	live := statetest.NewJob("web")
	live.Status = structs.JobStatusRunning
	live.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}
	dead := statetest.NewJob("web")
	dead.Status = structs.JobStatusDead
	alloc := func(desired, client string, mod func(*structs.Allocation)) *structs.Allocation {
		a := &structs.Allocation{ID: "a", TaskGroup: "web", DesiredStatus: desired, ClientStatus: client, ModifyTime: 1}
		if mod != nil {
			mod(a)
		}
		return a
	}
	run, stop := structs.AllocDesiredStatusRun, structs.AllocDesiredStatusStop
	cases := []struct {
		name string
		a    *structs.Allocation
		job  *structs.Job
		want bool
	}{
		{"running", alloc(run, structs.AllocClientStatusRunning, nil), dead, false},
		{"stopped but still running on its client", alloc(stop, structs.AllocClientStatusRunning, nil), dead, false},
		{"stopped, its node down or gone", alloc(stop, structs.AllocClientStatusRunning, func(a *structs.Allocation) { a.NodeID = "down" }), dead, true},
		{"running, its node down", alloc(run, structs.AllocClientStatusRunning, func(a *structs.Allocation) { a.NodeID = "down" }), dead, false},
		{"complete, job gone", alloc(run, structs.AllocClientStatusComplete, nil), nil, true},
		{"complete, too new", alloc(run, structs.AllocClientStatusComplete, func(a *structs.Allocation) { a.ModifyTime = 10 }), nil, false},
		{"failed, job dead", alloc(run, structs.AllocClientStatusFailed, nil), dead, true},
		{"failed, may reschedule", alloc(run, structs.AllocClientStatusFailed, nil), live, false},
		{"failed, replaced", alloc(run, structs.AllocClientStatusFailed, func(a *structs.Allocation) { a.NextAllocation = "b" }), live, true},
		{"failed, attempts used", alloc(run, structs.AllocClientStatusFailed, func(a *structs.Allocation) {
			a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{{RescheduleTime: time.Now().UnixNano()}}}
		}), live, true},
		{"failed and stopped", alloc(stop, structs.AllocClientStatusFailed, nil), live, true},
		{"lost", alloc(stop, structs.AllocClientStatusLost, nil), live, true},
	}
	for _, c := range cases {
		gone := func(id string) bool { return id == "down" }
		if got := allocCollectable(c.a, c.job, 5, gone); got != c.want {
			t.Errorf("%s: collectable = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestGCThousandFinishedBatchJobs: 1,000 finished batch jobs leave no
// trace after a forced collection, in either store, and running jobs keep
// everything; the etcd store, opened again, loads nothing collected.
func TestGCThousandFinishedBatchJobs(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) (state.Store, func() state.Store)
	}{
		{"memstore", func(t *testing.T) (state.Store, func() state.Store) { return memstore.New(), nil }},
		{"etcdstore", openGCEtcdStore},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, reopen := sc.open(t)
			f := newGCFixture(t, st)
			var running []*structs.Allocation
			for i := range 3 {
				allocs := f.job(fmt.Sprintf("svc-%d", i), structs.JobTypeService, 2)
				f.finish(allocs, structs.AllocClientStatusRunning)
				running = append(running, allocs...)
			}
			before := rows(st)
			f.batchJobs(1000)
			srv := newGCServer(t, st, GCConfig{})
			res, err := srv.collectGarbage(f.ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if res.Jobs != 1000 || res.Allocs != 1000 || res.Evals != 1000 {
				t.Fatalf("collected %+v, want 1000 jobs, allocs and evals", res)
			}
			after := rows(st)
			if !mapsEqual(before, after) {
				t.Fatalf("index rows after GC %v, want as before the batch jobs %v", after, before)
			}
			checkRunning(t, st, running)
			if reopen != nil {
				again := reopen()
				if got := rows(again); !mapsEqual(got, before) {
					t.Fatalf("a store opened after GC loads %v, want %v", got, before)
				}
				checkRunning(t, again, running)
			}
		})
	}
}

// batchJobs stores n batch jobs whose allocation and evaluation finished.
func (f *gcFixture) batchJobs(n int) {
	f.t.Helper()
	var allocs []*structs.Allocation
	var evalIDs []string
	for i := range n {
		id := fmt.Sprintf("batch-%04d", i)
		allocs = append(allocs, f.job(id, structs.JobTypeBatch, 1)...)
		evalIDs = append(evalIDs, f.evalsOf(id)...)
	}
	f.finish(allocs, structs.AllocClientStatusComplete, evalIDs...)
	if got := len(f.st.Snapshot().Jobs("*")); got < n {
		f.t.Fatalf("%d jobs stored, want at least %d", got, n)
	}
	for _, j := range f.st.Snapshot().Jobs("*") {
		if j.Type == structs.JobTypeBatch && j.Status != structs.JobStatusDead {
			f.t.Fatalf("batch job %s is %s, want dead", j.ID, j.Status)
		}
	}
}

func checkRunning(t *testing.T, st state.Store, running []*structs.Allocation) {
	t.Helper()
	snap := st.Snapshot()
	for _, a := range running {
		got := snap.Alloc(a.ID)
		if got == nil || got.ClientStatus != structs.AllocClientStatusRunning {
			t.Fatalf("running alloc %s after GC: %+v", a.ID, got)
		}
		if j := snap.Job(a.Namespace, a.JobID); j == nil || j.Status != structs.JobStatusRunning {
			t.Fatalf("running job %s after GC: %+v", a.JobID, j)
		}
	}
}

func rows(st state.Store) map[string]int {
	return st.Snapshot().(*index.Snapshot).Rows()
}

func mapsEqual(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// openGCEtcdStore opens an etcd store on a member of its own, and a
// function that opens a second store on the same keys (a server
// restarted after the collection).
func openGCEtcdStore(t *testing.T) (state.Store, func() state.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd"), UnsafeNoFsync: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ec.Close() })
	open := func() state.Store {
		st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: ec.Endpoints(), MaxTxnOps: ec.MaxTxnOps(),
			MaxRequestBytes: ec.MaxRequestBytes(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	return open(), func() state.Store {
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		return open()
	}
}

func TestSystemGCEndpoint(t *testing.T) {
	ts := newTestServer(t, nil)
	f := newGCFixture(t, ts.store)
	allocs := f.job("done", structs.JobTypeBatch, 1)
	f.finish(allocs, structs.AllocClientStatusComplete, f.evalsOf("done")...)
	var res GCResult
	if code, body := ts.do(http.MethodGet, "/v1/system/gc", nil, nil); code == http.StatusOK {
		t.Fatalf("GET /v1/system/gc = %d %s, want a refusal", code, body)
	}
	if code, body := ts.do(http.MethodPut, "/v1/system/gc", nil, &res); code != http.StatusOK {
		t.Fatalf("PUT /v1/system/gc = %d %s", code, body)
	}
	if res.Jobs != 1 || res.Allocs != 1 || ts.store.Snapshot().Job("default", "done") != nil {
		t.Fatalf("result %+v, job still there: %v", res, ts.store.Snapshot().Job("default", "done") != nil)
	}
	if code, _ := ts.do(http.MethodPost, "/v1/system/gc", nil, &res); code != http.StatusOK || res.Jobs != 0 {
		t.Fatalf("second collection = %d %+v, want 200 and nothing", code, res)
	}
}

// TestGCUnderEndedLeadershipWritesNothing: a collection made with the
// context of a leadership that ended deletes nothing.
func TestGCUnderEndedLeadershipWritesNothing(t *testing.T) {
	st := memstore.New()
	f := newGCFixture(t, st)
	allocs := f.job("done", structs.JobTypeBatch, 1)
	f.finish(allocs, structs.AllocClientStatusComplete, f.evalsOf("done")...)
	before := rows(st)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newGCServer(t, st, GCConfig{}).collectGarbage(ctx, true); err == nil {
		t.Fatal("a collection under an ended leadership succeeded")
	}
	if !mapsEqual(rows(st), before) {
		t.Fatal("a collection under an ended leadership deleted something")
	}
}

// TestPeriodicGCRunsOnTheLeader: with short thresholds the leader's
// collector removes a finished batch job by itself.
func TestPeriodicGCRunsOnTheLeader(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.GC = GCConfig{Interval: 50 * time.Millisecond, JobThreshold: time.Nanosecond, EvalThreshold: time.Nanosecond,
			BatchEvalThreshold: time.Nanosecond, NodeThreshold: time.Nanosecond}
	})
	f := newGCFixture(t, ts.store)
	f.must(ts.store.UpdateNodeStatus(f.ctx, f.node.ID, structs.NodeStatusDown, nil))
	allocs := f.job("done", structs.JobTypeBatch, 1)
	f.finish(allocs, structs.AllocClientStatusComplete, f.evalsOf("done")...)
	ts.waitFor("the periodic collection", func() bool {
		snap := ts.store.Snapshot()
		return snap.Job("default", "done") == nil && snap.Node(f.node.ID) == nil && len(snap.Allocs()) == 0
	})
}

// TestGCFencedByLeadership: a collection made under a leadership that no
// longer holds is refused by both stores with ErrNotLeader and deletes
// nothing (etcd: the fence's election key is gone; memory: the term
// says it is over).
func TestGCFencedByLeadership(t *testing.T) {
	stores := []struct {
		name  string
		open  func(t *testing.T) (state.Store, func() state.Store)
		fence state.Fence
	}{
		{"memstore", func(t *testing.T) (state.Store, func() state.Store) { return memstore.New(), nil },
			state.Fence{Held: func() bool { return false }}},
		{"etcdstore", openGCEtcdStore, state.Fence{Key: "/wharf/election/leader/deposed", Rev: 7}},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, _ := sc.open(t)
			f := newGCFixture(t, st)
			allocs := f.job("done", structs.JobTypeBatch, 1)
			f.finish(allocs, structs.AllocClientStatusComplete, f.evalsOf("done")...)
			before := rows(st)
			ctx := state.WithFence(f.ctx, sc.fence)
			_, err := newGCServer(t, st, GCConfig{}).collectGarbage(ctx, true)
			if !errors.Is(err, state.ErrNotLeader) {
				t.Fatalf("collection under a lost leadership: %v, want ErrNotLeader", err)
			}
			if !mapsEqual(rows(st), before) {
				t.Fatal("a deposed leader's collection deleted something")
			}
		})
	}
}
