package statetest

import (
	"slices"
	"sort"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var evalTests = []testCase{
	{"UpsertEvalsAndReads", testUpsertEvals},
	{"UpsertEvalKeepsCreateIndex", testUpsertEvalReplace},
	{"DeleteEvals", testDeleteEvals},
}

func testUpsertEvals(t *testing.T, e *env) {
	web, api := NewJob("web"), NewJob("api")
	evs := []*structs.Evaluation{NewEval(web), NewEval(web), NewEval(api)}
	evs[2].Status = structs.EvalStatusBlocked
	idx := e.must(e.s.UpsertEvals(e.ctx, evs))
	snap := e.snap()
	want := evalIDs(evs)
	sort.Strings(want)
	if got := evalIDs(snap.Evals()); !slices.Equal(got, want) {
		t.Fatalf("Evals = %v, want %v", got, want)
	}
	for _, ev := range evs {
		got := snap.Eval(ev.ID)
		if got == nil || got.CreateIndex != idx || got.ModifyIndex != idx || got.CreateTime == 0 {
			t.Fatalf("eval %s = %+v, want indexes %d and CreateTime", ev.ID, got, idx)
		}
	}
	cases := []struct {
		name string
		got  []*structs.Evaluation
		want []string
	}{
		{"by job web", snap.EvalsByJob("default", "web"), sorted(evs[0].ID, evs[1].ID)},
		{"by job api", snap.EvalsByJob("default", "api"), []string{evs[2].ID}},
		{"by job other ns", snap.EvalsByJob("prod", "web"), nil},
		{"pending", snap.EvalsByStatus(structs.EvalStatusPending), sorted(evs[0].ID, evs[1].ID)},
		{"blocked", snap.EvalsByStatus(structs.EvalStatusBlocked), []string{evs[2].ID}},
		{"prefix", snap.EvalsByIDPrefix(evs[2].ID[:6]), []string{evs[2].ID}},
	}
	for _, c := range cases {
		if got := evalIDs(c.got); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if snap.TableIndex(state.TableEvals) != idx {
		t.Errorf("evals table index %d, want %d", snap.TableIndex(state.TableEvals), idx)
	}
}

func sorted(ids ...string) []string {
	sort.Strings(ids)
	return ids
}

func testUpsertEvalReplace(t *testing.T, e *env) {
	ev := NewEval(NewJob("web"))
	first := e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{ev}))
	c := e.snap().Eval(ev.ID).Copy()
	c.Status = structs.EvalStatusComplete
	second := e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{c}))
	snap := e.snap()
	got := snap.Eval(ev.ID)
	if second <= first || got.CreateIndex != first || got.ModifyIndex != second || got.Status != structs.EvalStatusComplete {
		t.Fatalf("replaced eval = %+v (writes at %d, %d)", got, first, second)
	}
	if len(snap.EvalsByStatus(structs.EvalStatusPending)) != 0 || len(snap.EvalsByStatus(structs.EvalStatusComplete)) != 1 {
		t.Fatal("status index not updated")
	}
}

func testDeleteEvals(t *testing.T, e *env) {
	job := NewJob("web")
	evs := []*structs.Evaluation{NewEval(job), NewEval(job)}
	e.must(e.s.UpsertEvals(e.ctx, evs))
	idx := e.must(e.s.DeleteEvals(e.ctx, []string{evs[0].ID, "unknown-eval"}))
	snap := e.snap()
	if snap.Eval(evs[0].ID) != nil || snap.Eval(evs[1].ID) == nil || len(snap.EvalsByJob("default", "web")) != 1 {
		t.Fatal("DeleteEvals removed the wrong evals")
	}
	if snap.TableIndex(state.TableEvals) != idx {
		t.Fatalf("evals table index %d, want %d", snap.TableIndex(state.TableEvals), idx)
	}
	again := e.must(e.s.DeleteEvals(e.ctx, []string{"unknown-eval"}))
	if again < idx {
		t.Fatalf("no-op delete returned index %d < %d", again, idx)
	}
}
