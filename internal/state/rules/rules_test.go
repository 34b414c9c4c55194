package rules

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var now = time.Unix(1700000000, 0)

func job(priority int) *structs.Job {
	return &structs.Job{Namespace: "default", ID: "web", Priority: priority,
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 1}}}
}

func stored(version, jmi uint64) *structs.Job {
	j := job(50)
	j.Version, j.JobModifyIndex, j.ModifyIndex, j.CreateIndex = version, jmi, jmi, 1
	return j
}

func TestRegister(t *testing.T) {
	versions := func(n int) []*structs.Job {
		var out []*structs.Job
		for v := n - 1; v >= 0; v-- {
			out = append(out, stored(uint64(v), 1))
		}
		return out
	}
	cases := []struct {
		name        string
		existing    *structs.Job
		versions    []*structs.Job
		job         *structs.Job
		enforce     *uint64
		wantErr     error
		wantVersion int64 // -1: unchanged
		wantDropped int
	}{
		{"new", nil, nil, job(50), nil, nil, 0, 0},
		{"unchanged", stored(3, 7), versions(4), job(50), nil, nil, -1, 0},
		{"changed", stored(3, 7), versions(4), job(60), nil, nil, 4, 0},
		{"window", stored(5, 7), versions(6), job(60), nil, nil, 6, 1},
		{"enforce ok", stored(3, 7), versions(4), job(60), ptr(7), nil, 4, 0},
		{"enforce stale", stored(3, 7), versions(4), job(60), ptr(6), state.ErrConflict, 0, 0},
		{"enforce create", nil, nil, job(60), ptr(0), nil, 0, 0},
		{"enforce create exists", stored(0, 7), versions(1), job(60), ptr(0), state.ErrConflict, 0, 0},
		{"no ID", nil, nil, &structs.Job{}, nil, ErrInvalid, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch, err := Register(c.existing, c.versions, c.job, c.enforce, now)
			if c.wantErr != nil || err != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				return
			}
			if c.wantVersion < 0 {
				if ch.Job != nil || ch.JobModifyIndex != c.existing.JobModifyIndex {
					t.Fatalf("unchanged spec gave %+v", ch)
				}
				return
			}
			if ch.Job == nil || ch.Job.Version != uint64(c.wantVersion) || len(ch.DropVersions) != c.wantDropped {
				t.Fatalf("change = %+v", ch)
			}
			if ch.Job.SubmitTime != now.UnixNano() || ch.Job.Status != structs.JobStatusPending || ch.Job == c.job {
				t.Fatal("server fields not set or input not copied")
			}
		})
	}
}

func ptr(v uint64) *uint64 { return &v }

func TestDeregister(t *testing.T) {
	if _, err := Deregister(nil, nil, false, now); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	ch, _ := Deregister(stored(2, 5), nil, false, now)
	if ch.Job == nil || !ch.Job.Stop || ch.Job.Version != 3 {
		t.Fatalf("stop = %+v", ch)
	}
	stopped := stored(3, 9)
	stopped.Stop = true
	if ch, _ := Deregister(stopped, nil, false, now); ch.Job != nil || ch.JobModifyIndex != 9 {
		t.Fatalf("stopping a stopped job = %+v", ch)
	}
	if ch, _ := Deregister(stored(2, 5), nil, true, now); !ch.Purge || ch.JobModifyIndex != 5 {
		t.Fatalf("purge = %+v", ch)
	}
}

func alloc() *structs.Allocation {
	return &structs.Allocation{ID: "a", Namespace: "default", JobID: "web", NodeID: "n1",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusRunning,
		ClientDescription: "ok", TaskStates: map[string]*structs.TaskState{"t": {State: "running"}},
		AllocModifyIndex: 4, CreateIndex: 4, CreateTime: 1, JobVersion: 1}
}

func TestMerges(t *testing.T) {
	s := alloc()
	c := MergeClient(s, &structs.Allocation{ID: "a", ClientStatus: structs.AllocClientStatusFailed,
		DesiredStatus: "x", NodeID: "other"}, now)
	if c.ClientStatus != structs.AllocClientStatusFailed || c.DesiredStatus != structs.AllocDesiredStatusRun ||
		c.NodeID != "n1" || c.TaskStates["t"] == nil || c.AllocModifyIndex != 4 || s.ClientStatus != structs.AllocClientStatusRunning {
		t.Fatalf("MergeClient = %+v", c)
	}
	upd := alloc()
	upd.DesiredStatus, upd.ClientStatus, upd.FollowupEvalID = structs.AllocDesiredStatusStop, structs.AllocClientStatusPending, "f"
	upd.NextAllocation = "next"
	c = MergeStop(s, upd, now)
	if c.DesiredStatus != structs.AllocDesiredStatusStop || c.ClientStatus != structs.AllocClientStatusRunning ||
		c.FollowupEvalID != "f" || c.NextAllocation != "next" {
		t.Fatalf("MergeStop = %+v", c)
	}
	upd.ClientStatus = structs.AllocClientStatusLost
	if c := MergeStop(s, upd, now); c.ClientStatus != structs.AllocClientStatusLost {
		t.Fatal("MergeStop ignored lost")
	}
	if HoldsResources(c) || !HoldsResources(s) || HoldsResources(nil) {
		t.Fatal("HoldsResources wrong")
	}
}

func TestPlace(t *testing.T) {
	a := alloc()
	a.Job, a.ClientStatus, a.DesiredStatus, a.Namespace = job(1), "", "", ""
	c, err := Place(nil, a, now)
	if err != nil || c.Job != nil || c.ClientStatus != structs.AllocClientStatusPending ||
		c.DesiredStatus != structs.AllocDesiredStatusRun || c.Namespace != DefaultNamespace || a.Job == nil {
		t.Fatalf("Place new = %+v, %v", c, err)
	}
	upd := alloc()
	upd.JobVersion, upd.ClientStatus, upd.TaskStates, upd.CreateTime = 2, structs.AllocClientStatusPending, nil, 99
	c, _ = Place(alloc(), upd, now)
	if c.JobVersion != 2 || c.ClientStatus != structs.AllocClientStatusRunning || c.TaskStates == nil || c.CreateTime != 1 {
		t.Fatalf("Place over stored = %+v", c)
	}
	if _, err := Place(nil, &structs.Allocation{ID: "x"}, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid placement: %v", err)
	}
}

// reader is a PlanReader over maps.
type reader struct {
	job   *structs.Job
	nodes map[string]*structs.Node
	usage map[string]uint64
}

func (r reader) Job(string, string) *structs.Job { return r.job }
func (r reader) Node(id string) *structs.Node    { return r.nodes[id] }
func (r reader) NodeUsage(id string) uint64      { return r.usage[id] }

func TestCheckPlan(t *testing.T) {
	plan := &structs.Plan{Namespace: "default", JobID: "web", SnapshotIndex: 10,
		NodeAllocation: map[string][]*structs.Allocation{"n1": {alloc()}}}
	base := func() reader {
		return reader{job: stored(1, 5), nodes: map[string]*structs.Node{"n1": {ID: "n1", ModifyIndex: 8}},
			usage: map[string]uint64{"n1": 9}}
	}
	cases := []struct {
		name     string
		mutate   func(r *reader)
		own      map[string]uint64
		conflict bool
	}{
		{"clean", func(*reader) {}, nil, false},
		{"job changed", func(r *reader) { r.job.ModifyIndex = 11 }, nil, true},
		{"job gone", func(r *reader) { r.job = nil }, nil, true},
		{"node changed", func(r *reader) { r.nodes["n1"].ModifyIndex = 12 }, nil, true},
		{"node gone", func(r *reader) { delete(r.nodes, "n1") }, nil, true},
		{"usage changed", func(r *reader) { r.usage["n1"] = 11 }, nil, true},
		{"usage changed by own earlier txn", func(r *reader) { r.usage["n1"] = 11 }, map[string]uint64{"n1": 11}, false},
		{"usage changed after own txn", func(r *reader) { r.usage["n1"] = 12 }, map[string]uint64{"n1": 11}, true},
	}
	for _, c := range cases {
		r := base()
		c.mutate(&r)
		err := CheckPlan(r, plan, c.own)
		if got := errors.Is(err, state.ErrConflict); got != c.conflict {
			t.Errorf("%s: error %v, want conflict %v", c.name, err, c.conflict)
		}
	}
}

func TestPlanItemsGroupsByNode(t *testing.T) {
	a := func(id, node string) *structs.Allocation { return &structs.Allocation{ID: id, NodeID: node} }
	plan := &structs.Plan{
		NodeUpdate:     map[string][]*structs.Allocation{"n2": {a("s2", "n2")}, "n1": {a("s1", "n1")}},
		NodeAllocation: map[string][]*structs.Allocation{"n1": {a("p1", "n1")}, "n3": {a("p3", "n3")}},
	}
	var got []string
	for _, it := range PlanItems(plan) {
		got = append(got, it.Alloc.ID)
	}
	want := []string{"s1", "p1", "s2", "p3"}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("PlanItems order %v, want %v", got, want)
		}
	}
}

func TestMergeClientKeepsLost(t *testing.T) {
	stored := &structs.Allocation{ID: "a", ClientStatus: structs.AllocClientStatusLost, ClientDescription: "node down"}
	upd := &structs.Allocation{ID: "a", ClientStatus: structs.AllocClientStatusComplete, ClientDescription: "done",
		TaskStates: map[string]*structs.TaskState{"t": {State: structs.TaskStateDead}}}
	got := MergeClient(stored, upd, time.Now())
	if got.ClientStatus != structs.AllocClientStatusLost || got.ClientDescription != "node down" {
		t.Errorf("a lost allocation became %q (%q)", got.ClientStatus, got.ClientDescription)
	}
	if got.TaskStates["t"] == nil {
		t.Error("task states of a lost allocation were dropped")
	}
}
