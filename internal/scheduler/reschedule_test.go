package scheduler

import (
	"math"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestRescheduleEligible(t *testing.T) {
	ev := func(ago time.Duration) *structs.RescheduleEvent {
		return &structs.RescheduleEvent{RescheduleTime: testNow.Add(-ago).UnixNano()}
	}
	tr := &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{ev(3 * time.Hour), ev(30 * time.Minute)}}
	tests := []struct {
		name string
		p    *structs.ReschedulePolicy
		tr   *structs.RescheduleTracker
		want bool
	}{
		{"nil policy", nil, nil, false},
		{"unlimited", &structs.ReschedulePolicy{Unlimited: true}, tr, true},
		{"zero attempts", &structs.ReschedulePolicy{Attempts: 0, Interval: time.Hour}, nil, false},
		{"first attempt", &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}, nil, true},
		{"old event outside interval", &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour}, tr, true},
		{"attempts used within interval", &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}, tr, false},
		{"both count with long interval", &structs.ReschedulePolicy{Attempts: 2, Interval: 24 * time.Hour}, tr, false},
		{"no interval counts all", &structs.ReschedulePolicy{Attempts: 3}, tr, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rescheduleEligible(tt.p, tt.tr, testNow); got != tt.want {
				t.Errorf("eligible = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextDelay(t *testing.T) {
	delays := func(ds ...time.Duration) *structs.RescheduleTracker {
		tr := &structs.RescheduleTracker{}
		for _, d := range ds {
			tr.Events = append(tr.Events, &structs.RescheduleEvent{Delay: d})
		}
		return tr
	}
	s := time.Second
	tests := []struct {
		name string
		fn   string
		max  time.Duration
		tr   *structs.RescheduleTracker
		want time.Duration
	}{
		{"constant", "constant", 0, delays(5*s, 5*s), 5 * s},
		{"exponential first", "exponential", 0, nil, 5 * s},
		{"exponential doubles", "exponential", 0, delays(5*s, 10*s), 20 * s},
		{"exponential capped", "exponential", 15 * s, delays(10 * s), 15 * s},
		{"fibonacci first", "fibonacci", 0, nil, 5 * s},
		{"fibonacci second", "fibonacci", 0, delays(5 * s), 5 * s},
		{"fibonacci sums", "fibonacci", 0, delays(5*s, 5*s, 10*s), 15 * s},
		{"fibonacci capped", "fibonacci", 12 * s, delays(5*s, 10*s), 12 * s},
		{"exponential saturates", "exponential", 0, delays(math.MaxInt64/2 + 1), math.MaxInt64},
		{"fibonacci saturates", "fibonacci", 0, delays(math.MaxInt64-1, math.MaxInt64-1), math.MaxInt64},
		{"exponential saturates under cap", "exponential", 20 * s, delays(math.MaxInt64 - 1), 20 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &structs.ReschedulePolicy{Delay: 5 * s, DelayFunction: tt.fn, MaxDelay: tt.max}
			if got := nextDelay(p, tt.tr); got != tt.want {
				t.Errorf("delay = %v, want %v", got, tt.want)
			}
		})
	}
}

// failedJob returns a job with the given reschedule policy and a state
// holding one failed allocation that finished failedAgo before testNow.
func failedJob(p *structs.ReschedulePolicy, failedAgo time.Duration) (*structs.Job, *fakeState, *structs.Allocation) {
	job := testJob("web", 1)
	job.TaskGroups[0].ReschedulePolicy = p
	st, as := stateWith(job, 0)
	a := as[0]
	a.ClientStatus = structs.AllocClientStatusFailed
	a.TaskStates = map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, Failed: true,
		FinishedAt: testNow.Add(-failedAgo)}}
	return job, st, a
}

func TestRescheduleNow(t *testing.T) {
	p := &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}
	job, st, old := failedJob(p, time.Minute)
	res := run(t, st, job)
	news := placed(res.Plan, old)
	if len(news) != 1 {
		t.Fatalf("placed %d", len(news))
	}
	a := news[0]
	if a.PreviousAllocation != old.ID || a.Name != old.Name || a.NodeID == old.NodeID {
		t.Errorf("replacement prev %q name %q node %q", a.PreviousAllocation, a.Name, a.NodeID)
	}
	ev := a.RescheduleTracker.Events
	if len(ev) != 1 || ev[0].PrevAllocID != old.ID || ev[0].PrevNodeID != old.NodeID ||
		ev[0].Delay != 5*time.Second || ev[0].RescheduleTime != testNow.UnixNano() {
		t.Errorf("tracker %+v", ev)
	}
	stops := stopped(res.Plan)
	if len(stops) != 1 || stops[0].NextAllocation != a.ID || stops[0].DesiredDescription != descRescheduled {
		t.Errorf("old alloc update %+v", stops)
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.RescheduleNow != 1 || du.Place != 1 {
		t.Errorf("annotations %+v", du)
	}
	if len(res.FollowUps) != 0 {
		t.Errorf("follow-ups %v", res.FollowUps)
	}
}

func TestRescheduleAttemptsExhausted(t *testing.T) {
	p := &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour, Delay: time.Second, DelayFunction: "constant"}
	job, st, old := failedJob(p, time.Minute)
	old.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: testNow.Add(-10 * time.Minute).UnixNano(), Delay: time.Second}}}
	res := run(t, st, job)
	if !res.Plan.IsNoOp() || len(res.FollowUps) != 0 {
		t.Fatalf("plan %+v follow-ups %v", res.Plan, res.FollowUps)
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.Ignore != 1 {
		t.Errorf("annotations %+v", du)
	}
}

func TestRescheduleLaterCreatesFollowUp(t *testing.T) {
	p := &structs.ReschedulePolicy{Unlimited: true, Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour}
	job, st, old := failedJob(p, 10*time.Second)
	res := run(t, st, job)
	if len(res.FollowUps) != 1 {
		t.Fatalf("follow-ups %d", len(res.FollowUps))
	}
	e := res.FollowUps[0]
	if e.Status != structs.EvalStatusPending || e.TriggeredBy != structs.EvalTriggerFailedFollowUp ||
		e.PreviousEval != "eval-web" || e.JobID != "web" || !e.WaitUntil.Equal(testNow.Add(20*time.Second)) ||
		!uuidRE.MatchString(e.ID) {
		t.Errorf("follow-up eval %+v", e)
	}
	ups := res.Plan.NodeAllocation[old.NodeID]
	if len(ups) != 1 || ups[0].ID != old.ID || ups[0].FollowupEvalID != e.ID || ups[0].DesiredStatus != structs.AllocDesiredStatusRun {
		t.Errorf("alloc update %+v", ups)
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du.RescheduleLater != 1 || du.Place != 0 {
		t.Errorf("annotations %+v", du)
	}

	// Before the time, an alloc already marked gets no second follow-up.
	old.FollowupEvalID = e.ID
	res = run(t, st, job)
	if len(res.FollowUps) != 0 || !res.Plan.IsNoOp() {
		t.Errorf("second eval: follow-ups %d noop %v", len(res.FollowUps), res.Plan.IsNoOp())
	}
	// The follow-up evaluation itself reschedules it.
	res = runEval(t, st, &structs.Evaluation{ID: e.ID, Namespace: "default", JobID: "web"}, job)
	if news := placed(res.Plan, old); len(news) != 1 || news[0].PreviousAllocation != old.ID {
		t.Errorf("follow-up eval placed %v", names(news))
	}
}

func TestFollowUpsBatchCloseTimes(t *testing.T) {
	p := &structs.ReschedulePolicy{Unlimited: true, Delay: time.Minute, DelayFunction: "constant"}
	job := testJob("web", 3)
	job.TaskGroups[0].ReschedulePolicy = p
	st, as := stateWith(job, 0, 1, 2)
	for i, ago := range []time.Duration{0, 2 * time.Second, 30 * time.Second} {
		as[i].ClientStatus = structs.AllocClientStatusFailed
		as[i].TaskStates = map[string]*structs.TaskState{"server": {FinishedAt: testNow.Add(-ago)}}
	}
	res := run(t, st, job)
	if len(res.FollowUps) != 2 {
		t.Fatalf("follow-ups %d, want 2", len(res.FollowUps))
	}
	if !res.FollowUps[0].WaitUntil.Equal(testNow.Add(30*time.Second)) || !res.FollowUps[1].WaitUntil.Equal(testNow.Add(time.Minute)) {
		t.Errorf("wait until %v %v", res.FollowUps[0].WaitUntil, res.FollowUps[1].WaitUntil)
	}
}

func TestRescheduleBatchDefaults(t *testing.T) {
	job, st, _ := failedJob(nil, time.Minute)
	job.Type = structs.JobTypeBatch
	res := run(t, st, job)
	if got := len(placed(res.Plan, st.byID["a-web-0"])); got != 1 {
		t.Fatalf("batch failed alloc not rescheduled by default policy: %d", got)
	}
}

func TestFailedOldVersionIsReplacedOnUpdate(t *testing.T) {
	p := &structs.ReschedulePolicy{Attempts: 0}
	job, st, old := failedJob(p, time.Minute)
	job2 := copyJob(job)
	job2.Version = 1
	job2.TaskGroups[0].Tasks[0].Config["command"] = "/bin/fixed"
	res := run(t, st, job2)
	if news := placed(res.Plan, old); len(news) != 1 || news[0].PreviousAllocation != old.ID {
		t.Errorf("failed alloc not replaced on update")
	}
}

func TestNextTrackerKeepsRelevantEvents(t *testing.T) {
	prev := &structs.Allocation{ID: "p", NodeID: "n", RescheduleTracker: &structs.RescheduleTracker{}}
	for i := range 8 {
		prev.RescheduleTracker.Events = append(prev.RescheduleTracker.Events,
			&structs.RescheduleEvent{RescheduleTime: testNow.Add(-time.Duration(8-i) * time.Hour).UnixNano()})
	}
	limited := nextTracker(&structs.ReschedulePolicy{Attempts: 5, Interval: 3*time.Hour + time.Minute}, prev, testNow, time.Second)
	if n := len(limited.Events); n != 4 {
		t.Errorf("limited tracker has %d events, want 3 in interval + 1", n)
	}
	unlimited := nextTracker(&structs.ReschedulePolicy{Unlimited: true}, prev, testNow, time.Second)
	if n := len(unlimited.Events); n != keptRescheduleEvents {
		t.Errorf("unlimited tracker has %d events", n)
	}
	if last := unlimited.Events[len(unlimited.Events)-1]; last.PrevAllocID != "p" || last.Delay != time.Second {
		t.Errorf("last event %+v", last)
	}
}

func TestRescheduleDoesNotFreeUnheldResources(t *testing.T) {
	p := &structs.ReschedulePolicy{Unlimited: true, DelayFunction: "constant"}
	job := testJob("web", 1)
	job.TaskGroups[0].ReschedulePolicy = p
	// Group "api" is placed first, so n0's usage is already computed when
	// the failed "web" allocation is rescheduled.
	api := job.TaskGroups[0].Copy()
	api.Name = "api"
	api.Tasks[0].Resources.CPU = 10
	job.TaskGroups = []*structs.TaskGroup{api, job.TaskGroups[0]}
	for _, summary := range []bool{false, true} {
		st := newFakeState(testNode("n0", "dc1"))
		busy := existingAlloc(testJob("other", 1), 0, "n0")
		busy.AllocatedResources.Tasks["server"].Cpu.CpuShares = 3900
		st.upsert(busy)
		failed := existingAlloc(job, 0, "n0")
		failed.TaskGroup, failed.Name = "web", "web.web[0]"
		failed.ClientStatus = structs.AllocClientStatusFailed
		st.upsert(failed)
		var state State = st
		if summary {
			state = &usageState{st}
		}
		res := run(t, state, job)
		if got := countBy(placed(res.Plan, failed), func(a *structs.Allocation) string { return a.TaskGroup }); got["api"] != 1 || got["web"] != 0 || !res.Blocked {
			t.Errorf("summary=%v: placed %v: the failed alloc's resources were freed though it held none", summary, got)
		}
	}
}
