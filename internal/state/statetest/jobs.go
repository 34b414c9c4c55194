package statetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

var jobTests = []testCase{
	{"RegisterNewJob", testRegisterNewJob},
	{"RegisterUnchangedSpecKeepsVersion", testRegisterUnchanged},
	{"RegisterChangedSpecAddsVersion", testRegisterChanged},
	{"RegisterKeepsSixVersions", testRegisterKeepsSix},
	{"RegisterEnforceIndex", testRegisterEnforce},
	{"RegisterCopiesInput", testRegisterCopies},
	{"RegisterInvalid", testRegisterInvalid},
	{"JobListsAndPrefixes", testJobLists},
	{"DeregisterStops", testDeregisterStop},
	{"DeregisterPurges", testDeregisterPurge},
	{"DeregisterUnknown", testDeregisterUnknown},
	{"RegisterAfterStop", testRegisterAfterStop},
	{"JobStatusDerived", testJobStatus},
}

func testRegisterNewJob(t *testing.T, e *env) {
	job := NewJob("web")
	ev := NewEval(job)
	idx := e.must(e.s.RegisterJob(e.ctx, job, []*structs.Evaluation{ev}, nil))
	snap := e.snap()
	got := snap.Job("default", "web")
	switch {
	case got == nil:
		t.Fatal("job not stored")
	case got.Version != 0 || got.CreateIndex != idx || got.ModifyIndex != idx || got.JobModifyIndex != idx:
		t.Fatalf("version %d indexes %d/%d/%d, want 0 and %d", got.Version, got.CreateIndex, got.ModifyIndex, got.JobModifyIndex, idx)
	case got.SubmitTime == 0 || got.Status != structs.JobStatusPending:
		t.Fatalf("SubmitTime %d Status %q", got.SubmitTime, got.Status)
	}
	if vs := snap.JobVersions("default", "web"); len(vs) != 1 || vs[0].Version != 0 || vs[0].JobModifyIndex != idx {
		t.Fatalf("versions = %+v", vs)
	}
	storedEval := snap.Eval(ev.ID)
	if storedEval == nil || storedEval.JobModifyIndex != idx || storedEval.CreateIndex != idx {
		t.Fatalf("eval = %+v, want JobModifyIndex and CreateIndex %d", storedEval, idx)
	}
	if snap.TableIndex(state.TableJobs) != idx || snap.TableIndex(state.TableEvals) != idx || snap.Index() < idx {
		t.Fatalf("table indexes jobs %d evals %d store %d, want %d", snap.TableIndex(state.TableJobs),
			snap.TableIndex(state.TableEvals), snap.Index(), idx)
	}
}

func testRegisterUnchanged(t *testing.T, e *env) {
	first := e.register(NewJob("web"))
	ev := NewEval(first)
	idx := e.must(e.s.RegisterJob(e.ctx, NewJob("web"), []*structs.Evaluation{ev}, nil))
	snap := e.snap()
	got := snap.Job("default", "web")
	if got.Version != 0 || got.JobModifyIndex != first.JobModifyIndex || got.ModifyIndex != first.ModifyIndex {
		t.Fatalf("unchanged spec changed the job: %+v", got)
	}
	if len(snap.JobVersions("default", "web")) != 1 {
		t.Fatal("unchanged spec added a version")
	}
	if stored := snap.Eval(ev.ID); stored == nil || stored.JobModifyIndex != first.JobModifyIndex || stored.CreateIndex != idx {
		t.Fatalf("eval = %+v, want written at %d with JobModifyIndex %d", stored, idx, first.JobModifyIndex)
	}
}

func testRegisterChanged(t *testing.T, e *env) {
	first := e.register(NewJob("web"))
	job := NewJob("web")
	job.TaskGroups[0].Count = 3
	ev := NewEval(job)
	idx := e.must(e.s.RegisterJob(e.ctx, job, []*structs.Evaluation{ev}, nil))
	snap := e.snap()
	got := snap.Job("default", "web")
	if got.Version != 1 || got.JobModifyIndex != idx || got.CreateIndex != first.CreateIndex {
		t.Fatalf("job = v%d jmi %d create %d, want v1 jmi %d create %d", got.Version, got.JobModifyIndex,
			got.CreateIndex, idx, first.CreateIndex)
	}
	vs := snap.JobVersions("default", "web")
	if len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 0 || vs[0].TaskGroups[0].Count != 3 {
		t.Fatalf("versions = %v", versionsOf(vs))
	}
	if v0 := snap.JobVersion("default", "web", 0); v0 == nil || v0.TaskGroups[0].Count != 1 {
		t.Fatalf("version 0 = %+v", v0)
	}
	if snap.Eval(ev.ID).JobModifyIndex != idx {
		t.Fatal("eval JobModifyIndex is not the new job's")
	}
}

func versionsOf(vs []*structs.Job) []uint64 {
	out := make([]uint64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

func testRegisterKeepsSix(t *testing.T, e *env) {
	for i := range 9 {
		job := NewJob("web")
		job.Priority = 10 + i
		e.register(job)
	}
	snap := e.snap()
	if got := versionsOf(snap.JobVersions("default", "web")); !slices.Equal(got, []uint64{8, 7, 6, 5, 4, 3}) {
		t.Fatalf("versions = %v, want 8..3", got)
	}
	if snap.JobVersion("default", "web", 2) != nil || snap.JobVersion("default", "web", 3) == nil {
		t.Fatal("JobVersion disagrees with the kept window")
	}
}

func testRegisterEnforce(t *testing.T, e *env) {
	zero := uint64(0)
	e.fails(state.ErrConflict)(e.s.RegisterJob(e.ctx, NewJob("web"), nil, ptr(5)))
	e.must(e.s.RegisterJob(e.ctx, NewJob("web"), nil, &zero))
	stored := e.snap().Job("default", "web")
	changed := NewJob("web")
	changed.Priority = 70
	ev := NewEval(changed)
	e.fails(state.ErrConflict)(e.s.RegisterJob(e.ctx, changed, []*structs.Evaluation{ev}, &zero))
	e.fails(state.ErrConflict)(e.s.RegisterJob(e.ctx, changed, nil, ptr(stored.JobModifyIndex+1000)))
	if e.snap().Eval(ev.ID) != nil || e.snap().Job("default", "web").Priority != 50 {
		t.Fatal("a refused register wrote something")
	}
	e.must(e.s.RegisterJob(e.ctx, changed, nil, ptr(stored.JobModifyIndex)))
	if got := e.snap().Job("default", "web"); got.Priority != 70 || got.Version != 1 {
		t.Fatalf("enforced register not applied: %+v", got)
	}
}

func ptr(v uint64) *uint64 { return &v }

func testRegisterCopies(t *testing.T, e *env) {
	job := NewJob("web")
	e.must(e.s.RegisterJob(e.ctx, job, nil, nil))
	job.TaskGroups[0].Count = 99
	job.Meta["owner"] = "changed"
	got := e.snap().Job("default", "web")
	if got.TaskGroups[0].Count != 1 || got.Meta["owner"] != "statetest" || job.Version != 0 || job.ModifyIndex != 0 {
		t.Fatal("the store shares the caller's job or wrote into it")
	}
}

func testRegisterInvalid(t *testing.T, e *env) {
	for _, job := range []*structs.Job{nil, {Namespace: "default"}} {
		_, err := e.s.RegisterJob(e.ctx, job, nil, nil)
		if err == nil || errors.Is(err, state.ErrConflict) {
			t.Fatalf("register %+v: error %v, want a validation error", job, err)
		}
	}
	noNS := NewJob("plain")
	noNS.Namespace = ""
	e.must(e.s.RegisterJob(e.ctx, noNS, nil, nil))
	if e.snap().Job(rules.DefaultNamespace, "plain") == nil {
		t.Fatal("job without namespace not stored in the default namespace")
	}
}

func testJobLists(t *testing.T, e *env) {
	for _, id := range []string{"web", "api", "web-2", "db"} {
		e.register(NewJob(id))
	}
	other := NewJob("web")
	other.Namespace = "prod"
	e.register(other)
	snap := e.snap()
	cases := []struct {
		name string
		got  []*structs.Job
		want []string
	}{
		{"default", snap.Jobs("default"), []string{"api", "db", "web", "web-2"}},
		{"prod", snap.Jobs("prod"), []string{"web"}},
		{"all", snap.Jobs("*"), []string{"api", "db", "web", "web", "web-2"}},
		{"prefix", snap.JobsByIDPrefix("default", "web"), []string{"web", "web-2"}},
		{"prefix all", snap.JobsByIDPrefix("*", "web"), []string{"web", "web", "web-2"}},
		{"no match", snap.JobsByIDPrefix("default", "zzz"), nil},
	}
	for _, c := range cases {
		if got := jobIDs(c.got); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if snap.Job("prod", "web") == nil || snap.Job("prod", "api") != nil {
		t.Error("Job does not respect namespaces")
	}
}

func testDeregisterStop(t *testing.T, e *env) {
	first := e.register(NewJob("web"))
	ev := NewEval(first)
	idx := e.must(e.s.DeregisterJob(e.ctx, "default", "web", false, []*structs.Evaluation{ev}))
	snap := e.snap()
	got := snap.Job("default", "web")
	if got == nil || !got.Stop || got.Version != 1 || got.JobModifyIndex != idx || got.Status != structs.JobStatusDead {
		t.Fatalf("stopped job = %+v", got)
	}
	if len(snap.JobVersions("default", "web")) != 2 || snap.Eval(ev.ID) == nil {
		t.Fatal("stop must add a version and write its eval")
	}
	again := e.must(e.s.DeregisterJob(e.ctx, "default", "web", false, nil))
	if got := e.snap().Job("default", "web"); got.Version != 1 || again < idx {
		t.Fatalf("stopping a stopped job made version %d", got.Version)
	}
}

func testDeregisterPurge(t *testing.T, e *env) {
	first := e.register(NewJob("web"))
	changed := NewJob("web")
	changed.Priority = 80
	e.register(changed)
	ev := NewEval(first)
	e.must(e.s.DeregisterJob(e.ctx, "default", "web", true, []*structs.Evaluation{ev}))
	snap := e.snap()
	if snap.Job("default", "web") != nil || len(snap.JobVersions("default", "web")) != 0 {
		t.Fatal("purge left the job or its versions")
	}
	if snap.Eval(ev.ID) == nil {
		t.Fatal("purge did not write its eval")
	}
	e.register(NewJob("web"))
	if got := e.snap().Job("default", "web"); got.Version != 0 {
		t.Fatalf("job registered after purge has version %d", got.Version)
	}
}

func testDeregisterUnknown(t *testing.T, e *env) {
	for _, purge := range []bool{false, true} {
		_, err := e.s.DeregisterJob(e.ctx, "default", "nope", purge, nil)
		if !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("purge=%v: error %v, want ErrNotFound", purge, err)
		}
	}
}

func testRegisterAfterStop(t *testing.T, e *env) {
	e.register(NewJob("web"))
	e.must(e.s.DeregisterJob(e.ctx, "default", "web", false, nil))
	got := e.register(NewJob("web"))
	if got.Stop || got.Version != 2 {
		t.Fatalf("re-registered job stop=%v version=%d, want running version 2", got.Stop, got.Version)
	}
}

func testJobStatus(t *testing.T, e *env) {
	job, node := e.setup()
	if job.Status != structs.JobStatusPending {
		t.Fatalf("new job status %q", job.Status)
	}
	allocs, _ := e.place(job, 1, node)
	if got := e.snap().Job("default", "web").Status; got != structs.JobStatusRunning {
		t.Fatalf("status with a placed alloc = %q, want running", got)
	}
	e.clientUpdate(allocs[0], structs.AllocClientStatusComplete)
	for _, ev := range e.snap().EvalsByJob("default", "web") {
		c := ev.Copy()
		c.Status = structs.EvalStatusComplete
		e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{c}))
	}
	if got := e.snap().Job("default", "web").Status; got != structs.JobStatusDead {
		t.Fatalf("status with all allocs complete = %q, want dead", got)
	}
}
