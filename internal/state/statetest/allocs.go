package statetest

import (
	"slices"
	"sort"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var allocTests = []testCase{
	{"ApplyPlanPlacements", testPlacements},
	{"ApplyPlanInPlaceUpdateKeepsClientFields", testInPlaceUpdate},
	{"ApplyPlanStopsKeepClientFields", testStops},
	{"ApplyPlanStopKeepsNextAllocation", testStopNextAllocation},
	{"UpdateAllocsFromClientMerges", testClientUpdate},
	{"ClientUpdateKeepsServerStop", testClientAfterStop},
}

func testPlacements(t *testing.T, e *env) {
	job := e.register(NewJob("web"))
	a, b := e.node("a"), e.node("b")
	plan, ev := e.planFor(job)
	for i, n := range []*structs.Node{a, a, b} {
		plan.AppendAlloc(NewAlloc(job, n, ev.ID, i))
	}
	idx := e.must(e.s.ApplyPlan(e.ctx, plan, []*structs.Evaluation{ev}))
	snap := e.snap()
	all := append(append([]*structs.Allocation{}, plan.NodeAllocation[a.ID]...), plan.NodeAllocation[b.ID]...)
	for _, want := range all {
		got := snap.Alloc(want.ID)
		switch {
		case got == nil:
			t.Fatalf("alloc %s not stored", want.ID)
		case got.Job != nil:
			t.Fatal("the store kept Allocation.Job")
		case got.CreateIndex != idx || got.ModifyIndex != idx || got.AllocModifyIndex != idx:
			t.Fatalf("alloc indexes %d/%d/%d, want %d", got.CreateIndex, got.ModifyIndex, got.AllocModifyIndex, idx)
		case got.ClientStatus != structs.AllocClientStatusPending || got.CreateTime == 0 || got.ModifyTime == 0:
			t.Fatalf("alloc = %+v", got)
		case got.AllocatedResources.Shared.Ports[0].Value != want.AllocatedResources.Shared.Ports[0].Value:
			t.Fatal("resources not stored")
		}
	}
	ids := allocIDs(all)
	sort.Strings(ids)
	cases := []struct {
		name string
		got  []*structs.Allocation
		want []string
	}{
		{"all", snap.Allocs(), ids},
		{"by job", snap.AllocsByJob("default", "web"), ids},
		{"by job other", snap.AllocsByJob("default", "other"), nil},
		{"by eval", snap.AllocsByEval(ev.ID), ids},
		{"by node b", snap.AllocsByNode(b.ID), allocIDs(plan.NodeAllocation[b.ID])},
		{"by prefix", snap.AllocsByIDPrefix(ids[1][:8]), ids[1:2]},
	}
	for _, c := range cases {
		if got := allocIDs(c.got); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if len(snap.AllocsByNode(a.ID)) != 2 || snap.Eval(ev.ID) == nil || snap.TableIndex(state.TableAllocs) != idx {
		t.Error("node index, plan eval or allocs table index wrong")
	}
}

func testInPlaceUpdate(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, placed := e.place(job, 1, node)
	e.clientUpdate(allocs[0], structs.AllocClientStatusRunning)
	plan, _ := e.planFor(job)
	upd := allocs[0].Copy()
	upd.JobVersion = 1
	upd.ClientStatus, upd.ClientDescription, upd.TaskStates = structs.AllocClientStatusPending, "", nil
	plan.AppendAlloc(upd)
	idx := e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	got := e.snap().Alloc(upd.ID)
	switch {
	case got.JobVersion != 1:
		t.Fatal("in-place update not applied")
	case got.ClientStatus != structs.AllocClientStatusRunning || got.TaskStates["app"] == nil:
		t.Fatalf("in-place update lost client fields: %+v", got)
	case got.CreateIndex != placed || got.AllocModifyIndex != idx || got.ModifyIndex != idx:
		t.Fatalf("indexes %d/%d/%d, want create %d modify %d", got.CreateIndex, got.AllocModifyIndex, got.ModifyIndex, placed, idx)
	case len(e.snap().Allocs()) != 1:
		t.Fatal("in-place update duplicated the alloc")
	}
}

func testStops(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 3, node)
	e.clientUpdate(allocs[0], structs.AllocClientStatusRunning)
	plan, _ := e.planFor(job)
	stale := allocs[0] // stale copy: ClientStatus pending
	plan.AppendStop(stale, "job updated", "")
	plan.AppendStop(allocs[1], "node lost", structs.AllocClientStatusLost)
	plan.AppendStop(&structs.Allocation{ID: "gone", NodeID: node.ID}, "gc'd", "")
	idx := e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	snap := e.snap()
	stopped, lost := snap.Alloc(allocs[0].ID), snap.Alloc(allocs[1].ID)
	switch {
	case stopped.DesiredStatus != structs.AllocDesiredStatusStop || stopped.DesiredDescription != "job updated":
		t.Fatalf("stop not applied: %+v", stopped)
	case stopped.ClientStatus != structs.AllocClientStatusRunning || stopped.TaskStates["app"] == nil:
		t.Fatalf("stop clobbered client fields: %+v", stopped)
	case stopped.AllocModifyIndex != idx || stopped.ModifyIndex != idx:
		t.Fatal("stop did not set AllocModifyIndex and ModifyIndex")
	case lost.ClientStatus != structs.AllocClientStatusLost || lost.DesiredStatus != structs.AllocDesiredStatusStop:
		t.Fatalf("lost alloc = %+v", lost)
	case snap.Alloc(allocs[2].ID).DesiredStatus != structs.AllocDesiredStatusRun || snap.Alloc("gone") != nil:
		t.Fatal("stop touched other allocs or created an unknown one")
	}
}

func testStopNextAllocation(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 2, node)
	plan, ev := e.planFor(job)
	next := NewAlloc(job, node, ev.ID, 5)
	next.PreviousAllocation = allocs[0].ID
	stop := allocs[0].Copy()
	stop.NextAllocation, stop.FollowupEvalID = next.ID, "followup"
	plan.AppendStop(stop, "replaced", "")
	plan.AppendStop(allocs[1], "scaled down", "")
	plan.AppendAlloc(next)
	e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	snap := e.snap()
	replaced, other := snap.Alloc(allocs[0].ID), snap.Alloc(allocs[1].ID)
	switch {
	case replaced.NextAllocation != next.ID || replaced.FollowupEvalID != "followup":
		t.Fatalf("stop dropped NextAllocation/FollowupEvalID: %+v", replaced)
	case replaced.DesiredStatus != structs.AllocDesiredStatusStop:
		t.Fatalf("stop not applied: %+v", replaced)
	case other.NextAllocation != "" || other.DesiredStatus != structs.AllocDesiredStatusStop:
		t.Fatalf("stop without NextAllocation = %+v", other)
	case snap.Alloc(next.ID) == nil || snap.Alloc(next.ID).PreviousAllocation != allocs[0].ID:
		t.Fatal("replacement not stored with PreviousAllocation")
	}
}

func testClientUpdate(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, placed := e.place(job, 2, node)
	ev := NewEval(job)
	upd := &structs.Allocation{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusFailed,
		ClientDescription: "exit 1", DesiredStatus: "hacked", NodeID: "elsewhere",
		TaskStates: map[string]*structs.TaskState{"app": {State: structs.TaskStateDead, Failed: true}}}
	unknown := &structs.Allocation{ID: "unknown", ClientStatus: structs.AllocClientStatusRunning}
	idx := e.must(e.s.UpdateAllocsFromClient(e.ctx, []*structs.Allocation{upd, unknown}, []*structs.Evaluation{ev}))
	snap := e.snap()
	got := snap.Alloc(allocs[0].ID)
	switch {
	case got.ClientStatus != structs.AllocClientStatusFailed || got.ClientDescription != "exit 1" || !got.TaskStates["app"].Failed:
		t.Fatalf("client fields not merged: %+v", got)
	case got.DesiredStatus != structs.AllocDesiredStatusRun || got.NodeID != node.ID || got.AllocatedResources == nil:
		t.Fatalf("client update changed server fields: %+v", got)
	case got.ModifyIndex != idx || got.AllocModifyIndex != placed || got.CreateIndex != placed:
		t.Fatalf("indexes modify %d alloc-modify %d create %d, want %d/%d/%d", got.ModifyIndex, got.AllocModifyIndex, got.CreateIndex, idx, placed, placed)
	case snap.Alloc("unknown") != nil || snap.Eval(ev.ID) == nil:
		t.Fatal("unknown alloc created or eval not written")
	case snap.Alloc(allocs[1].ID).ModifyIndex != placed:
		t.Fatal("client update touched another alloc")
	}
}

func testClientAfterStop(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 1, node)
	plan, _ := e.planFor(job)
	plan.AppendStop(allocs[0], "stopping", "")
	stopIdx := e.must(e.s.ApplyPlan(e.ctx, plan, nil))
	e.clientUpdate(allocs[0], structs.AllocClientStatusComplete)
	got := e.snap().Alloc(allocs[0].ID)
	if got.DesiredStatus != structs.AllocDesiredStatusStop || got.DesiredDescription != "stopping" ||
		got.ClientStatus != structs.AllocClientStatusComplete || got.AllocModifyIndex != stopIdx {
		t.Fatalf("client update after stop = %+v", got)
	}
}
