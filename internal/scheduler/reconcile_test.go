package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// stateWith returns a state with nodes n0..n2 in dc1 and job's allocations
// at the given indexes, round robin over the nodes; the job is stored as
// its version.
func stateWith(job *structs.Job, idx ...int) (*fakeState, []*structs.Allocation) {
	st := newFakeState(testNodes(3, "dc1")...)
	st.addJob(job)
	var as []*structs.Allocation
	for i, x := range idx {
		a := existingAlloc(job, x, testNodes(3, "dc1")[i%3].ID)
		st.upsert(a)
		as = append(as, a)
	}
	return st, as
}

func TestReconcileScale(t *testing.T) {
	tests := []struct {
		name      string
		existing  []int
		count     int
		wantPlace []string
		wantStop  []string
	}{
		{"scale up fills lowest free indexes", []int{0, 2}, 4, []string{"web.web[1]", "web.web[3]"}, nil},
		{"scale down stops highest indexes", []int{0, 1, 2, 3, 4}, 2, nil, []string{"web.web[2]", "web.web[3]", "web.web[4]"}},
		{"scale down with a gap", []int{0, 3, 7}, 2, nil, []string{"web.web[7]"}},
		{"steady", []int{0, 1, 2}, 3, nil, nil},
		{"scale to zero", []int{0, 1}, 0, nil, []string{"web.web[0]", "web.web[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob("web", tt.count)
			st, as := stateWith(job, tt.existing...)
			res := run(t, st, job)
			if got := names(placed(res.Plan, as...)); !equalStrings(got, tt.wantPlace) {
				t.Errorf("placed %v, want %v", got, tt.wantPlace)
			}
			if got := names(stopped(res.Plan)); !equalStrings(got, tt.wantStop) {
				t.Errorf("stopped %v, want %v", got, tt.wantStop)
			}
			du := res.Plan.Annotations.DesiredTGUpdates["web"]
			if int(du.Place) != len(tt.wantPlace) || int(du.Stop) != len(tt.wantStop) ||
				int(du.Ignore) != len(tt.existing)-len(tt.wantStop) {
				t.Errorf("annotations %+v", du)
			}
			for _, s := range stopped(res.Plan) {
				if s.DesiredStatus != structs.AllocDesiredStatusStop || s.DesiredDescription != descScaleDown {
					t.Errorf("stop %s: %q %q", s.Name, s.DesiredStatus, s.DesiredDescription)
				}
			}
		})
	}
}

func TestReconcileStopAndPurge(t *testing.T) {
	job := testJob("web", 2)
	stoppedJob := copyJob(job)
	stoppedJob.Stop = true
	tests := []struct {
		name string
		job  *structs.Job
		desc string
	}{
		{"job stopped", stoppedJob, descJobStopped},
		{"job purged", nil, descJobStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := stateWith(job, 0, 1)
			done := existingAlloc(job, 5, "n0")
			done.ClientStatus = structs.AllocClientStatusComplete
			st.upsert(done)
			res := runEval(t, st, evalFor(job), tt.job)
			got := stopped(res.Plan)
			if len(got) != 2 || len(placed(res.Plan)) != 0 {
				t.Fatalf("stopped %v placed %d", names(got), len(placed(res.Plan)))
			}
			for _, s := range got {
				if s.DesiredDescription != tt.desc {
					t.Errorf("desc %q", s.DesiredDescription)
				}
			}
			if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.Stop != 2 {
				t.Errorf("annotations %+v", du)
			}
		})
	}
}

func TestReconcileGroupRemoved(t *testing.T) {
	job := testJob("web", 2)
	st, _ := stateWith(job, 0, 1)
	job2 := copyJob(job)
	job2.TaskGroups[0].Name = "api"
	res := run(t, st, job2)
	if got := names(stopped(res.Plan)); !equalStrings(got, []string{"web.web[0]", "web.web[1]"}) {
		t.Errorf("stopped %v", got)
	}
	if got := names(placed(res.Plan)); !equalStrings(got, []string{"web.api[0]", "web.api[1]"}) {
		t.Errorf("placed %v", got)
	}
	ann := res.Plan.Annotations.DesiredTGUpdates
	if ann["web"].Stop != 2 || ann["api"].Place != 2 {
		t.Errorf("annotations web=%+v api=%+v", ann["web"], ann["api"])
	}
	if s := stopped(res.Plan)[0]; s.DesiredDescription != descGroupRemoved {
		t.Errorf("desc %q", s.DesiredDescription)
	}
}

func TestReconcileJobUpdate(t *testing.T) {
	tests := []struct {
		name        string
		mutate      func(*structs.Job)
		maxParallel int
		inPlace     int
		destructive int
		ignore      int
		followUp    bool
	}{
		{"count only", func(j *structs.Job) {}, 0, 3, 0, 0, false},
		{"job meta", func(j *structs.Job) { j.Meta = map[string]string{"a": "b"} }, 0, 3, 0, 0, false},
		{"service tags", func(j *structs.Job) {
			j.TaskGroups[0].Services = []*structs.Service{{Name: "web", Tags: []string{"v2"}}}
		}, 0, 3, 0, 0, false},
		{"restart policy", func(j *structs.Job) {
			j.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 9}
		}, 0, 3, 0, 0, false},
		{"constraint still met", func(j *structs.Job) {
			j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}}
		}, 0, 3, 0, 0, false},
		{"constraint no longer met", func(j *structs.Job) {
			j.Constraints = []*structs.Constraint{{LTarget: "${node.unique.id}", RTarget: "n0", Operand: "!="}}
		}, 0, 2, 1, 0, false},
		{"task config", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true" }, 0, 0, 3, 0, false},
		{"task env", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Env = map[string]string{"A": "1"} }, 0, 0, 3, 0, false},
		{"resources", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 128 }, 0, 0, 3, 0, false},
		{"max_parallel 1", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = 200 }, 1, 0, 1, 2, true},
		{"max_parallel 2", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = 200 }, 2, 0, 2, 1, true},
		{"max_parallel covers all", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = 200 }, 5, 0, 3, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob("web", 3)
			st, as := stateWith(job, 0, 1, 2)
			job2 := copyJob(job)
			job2.Version = 1
			job2.TaskGroups[0].Update = &structs.UpdateStrategy{MaxParallel: tt.maxParallel, Stagger: 7}
			tt.mutate(job2)
			st.addJob(job2)
			res := run(t, st, job2)
			du := res.Plan.Annotations.DesiredTGUpdates["web"]
			if int(du.InPlaceUpdate) != tt.inPlace || int(du.DestructiveUpdate) != tt.destructive || int(du.Ignore) != tt.ignore {
				t.Fatalf("annotations %+v", du)
			}
			if res.NeedsFollowUp != tt.followUp || (tt.followUp && res.FollowUpWait != 7) {
				t.Errorf("follow-up %v after %v", res.NeedsFollowUp, res.FollowUpWait)
			}
			checkInPlace(t, res.Plan, as, tt.inPlace)
			checkDestructive(t, res.Plan, as, tt.destructive)
		})
	}
}

// checkInPlace checks n in-place updates keep ID, node and ports and move
// to version 1.
func checkInPlace(t *testing.T, p *structs.Plan, old []*structs.Allocation, n int) {
	t.Helper()
	got := 0
	for _, as := range p.NodeAllocation {
		for _, a := range as {
			for _, o := range old {
				if o.ID != a.ID {
					continue
				}
				got++
				if a.NodeID != o.NodeID || a.JobVersion != 1 || a.AllocatedResources != o.AllocatedResources {
					t.Errorf("in-place %s: node %s version %d", a.ID, a.NodeID, a.JobVersion)
				}
			}
		}
	}
	if got != n {
		t.Errorf("in-place updates %d, want %d", got, n)
	}
}

// checkDestructive checks n replacements: old stopped and linked, new
// placed with the same name and PreviousAllocation.
func checkDestructive(t *testing.T, p *structs.Plan, old []*structs.Allocation, n int) {
	t.Helper()
	stops := stopped(p)
	news := placed(p, old...)
	if len(stops) != n || len(news) != n {
		t.Fatalf("stops %d new %d, want %d", len(stops), len(news), n)
	}
	for i := range stops {
		if stops[i].DesiredDescription != descUpdated || stops[i].NextAllocation != news[i].ID ||
			news[i].PreviousAllocation != stops[i].ID || news[i].Name != stops[i].Name || news[i].JobVersion != 1 {
			t.Errorf("replacement %d: stop %+v new %+v", i, stops[i], news[i])
		}
	}
}

func TestReconcileUnknownOldVersionIsDestructive(t *testing.T) {
	job := testJob("web", 1)
	st, _ := stateWith(job, 0)
	delete(st.versions, 0)
	job2 := copyJob(job)
	job2.Version = 1
	res := run(t, st, job2)
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.DestructiveUpdate != 1 {
		t.Errorf("annotations %+v", du)
	}
}

func TestReconcileBatch(t *testing.T) {
	job := testJob("batch", 3)
	job.Type = structs.JobTypeBatch
	st, as := stateWith(job, 0, 1, 2)
	as[0].ClientStatus = structs.AllocClientStatusComplete
	as[1].ClientStatus = structs.AllocClientStatusComplete
	res := run(t, st, job)
	if !res.Plan.IsNoOp() {
		t.Fatalf("complete batch allocs replaced: placed %v", names(placed(res.Plan, as...)))
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.Ignore != 3 {
		t.Errorf("annotations %+v", du)
	}

	job2 := copyJob(job)
	job2.Version = 1
	job2.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
	job2.TaskGroups[0].Update = &structs.UpdateStrategy{MaxParallel: 1}
	st.addJob(job2)
	res = run(t, st, job2)
	du := res.Plan.Annotations.DesiredTGUpdates["web"]
	if du.DestructiveUpdate != 1 || du.Ignore != 2 || res.NeedsFollowUp {
		t.Errorf("batch update: %+v follow-up %v", du, res.NeedsFollowUp)
	}
}

func TestReconcileServiceCompleteIsReplaced(t *testing.T) {
	job := testJob("web", 2)
	st, as := stateWith(job, 0, 1)
	as[1].ClientStatus = structs.AllocClientStatusComplete
	res := run(t, st, job)
	if got := names(placed(res.Plan, as...)); !equalStrings(got, []string{"web.web[1]"}) {
		t.Errorf("placed %v", got)
	}
}

func TestReconcileNodeLost(t *testing.T) {
	job := testJob("web", 3)
	st, as := stateWith(job, 0, 1, 2)
	st.nodes[0].Status = structs.NodeStatusDown
	missing := existingAlloc(job, 3, "gone-node")
	st.upsert(missing)
	job.TaskGroups[0].Count = 4
	res := run(t, st, job)

	stops := stopped(res.Plan)
	if got := names(stops); !equalStrings(got, []string{"web.web[0]", "web.web[3]"}) {
		t.Fatalf("stopped %v", got)
	}
	news := placed(res.Plan, as...)
	if got := names(news); !equalStrings(got, []string{"web.web[0]", "web.web[3]"}) {
		t.Fatalf("placed %v", got)
	}
	for i, s := range stops {
		if s.ClientStatus != structs.AllocClientStatusLost || s.DesiredStatus != structs.AllocDesiredStatusStop ||
			s.DesiredDescription != descLost || s.NextAllocation != news[i].ID {
			t.Errorf("lost stop %+v", s)
		}
		if news[i].NodeID == "n0" || news[i].PreviousAllocation != s.ID {
			t.Errorf("replacement on %s prev %s", news[i].NodeID, news[i].PreviousAllocation)
		}
	}
	du := res.Plan.Annotations.DesiredTGUpdates["web"]
	if du.Stop != 2 || du.Place != 2 || du.Ignore != 2 {
		t.Errorf("annotations %+v", du)
	}
}

func TestReconcileNodeLostNoCapacityStillStops(t *testing.T) {
	job := testJob("web", 1)
	st, _ := stateWith(job, 0)
	for _, n := range st.nodes {
		n.Status = structs.NodeStatusDown
	}
	res := run(t, st, job)
	if len(stopped(res.Plan)) != 1 || !res.Blocked || res.QueuedAllocations["web"] != 1 {
		t.Errorf("stops %d blocked %v queued %v", len(stopped(res.Plan)), res.Blocked, res.QueuedAllocations)
	}
}

func TestReconcileMigrate(t *testing.T) {
	job := testJob("web", 2)
	st, as := stateWith(job, 0, 1)
	yes := true
	as[0].DesiredTransition.Migrate = &yes
	st.nodes[0].Drain = true
	res := run(t, st, job)
	news := placed(res.Plan, as...)
	if len(news) != 1 || news[0].NodeID == "n0" || news[0].Name != as[0].Name {
		t.Fatalf("placed %+v", news)
	}
	if s := stopped(res.Plan); len(s) != 1 || s[0].DesiredDescription != descMigrated {
		t.Errorf("stops %+v", s)
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.Migrate != 1 || du.Ignore != 1 {
		t.Errorf("annotations %+v", du)
	}
}

// TestReconcileMigrateWithNowhereToGo: a drained node's allocation stops
// even when no other node can take it; the replacement waits, blocked.
func TestReconcileMigrateWithNowhereToGo(t *testing.T) {
	job := testJob("web", 1)
	st := newFakeState(testNode("n0", "dc1"))
	st.addJob(job)
	a := existingAlloc(job, 0, "n0")
	yes := true
	a.DesiredTransition.Migrate = &yes
	st.upsert(a)
	st.nodes[0].Drain = true
	st.nodes[0].SchedulingEligibility = structs.NodeSchedulingIneligible
	res := run(t, st, job)
	if s := stopped(res.Plan); len(s) != 1 || s[0].DesiredDescription != descMigrated {
		t.Errorf("stops %+v", s)
	}
	if len(placed(res.Plan, a)) != 0 || !res.Blocked {
		t.Errorf("placed %d, blocked %v", len(placed(res.Plan, a)), res.Blocked)
	}
}

func TestDestructiveUpdateMayReuseFreedNode(t *testing.T) {
	job := testJob("web", 1)
	st := newFakeState(testNode("n0", "dc1"))
	st.addJob(job)
	old := existingAlloc(job, 0, "n0")
	old.AllocatedResources.Tasks["server"].Cpu.CpuShares = 3000
	st.upsert(old)
	job2 := copyJob(job)
	job2.Version = 1
	job2.TaskGroups[0].Tasks[0].Resources.CPU = 3000
	res := run(t, st, job2)
	if news := placed(res.Plan, old); len(news) != 1 || news[0].NodeID != "n0" {
		t.Fatalf("replacement not placed on the freed node: blocked=%v", res.Blocked)
	}
}
