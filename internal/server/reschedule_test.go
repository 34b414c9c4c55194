package server

import (
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestFailedAllocationIsRescheduled reports an allocation failed from the
// client side: the server evaluates the job and, after the reschedule
// policy's delay, places a replacement linked to the failed one.
func TestFailedAllocationIsRescheduled(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.registerNode(fakeNode("b", "dc1", "raw_exec"))
	job := testJob("flaky", 1, "raw_exec")
	job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{
		Attempts: 1, Interval: time.Hour, Delay: 50 * time.Millisecond, DelayFunction: "constant",
	}
	ts.waitEval(ts.register(job).EvalID)
	failed := ts.liveAllocs("flaky")[0]

	ts.mustDoAsNode(failed.NodeID, "PUT", "/v1/allocations/update", structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{
		ID: failed.ID, ClientStatus: structs.AllocClientStatusFailed, ClientDescription: "Failed tasks",
	}}}, nil)
	var repl *structs.Allocation
	ts.waitFor("a replacement", func() bool {
		for _, a := range ts.liveAllocs("flaky") {
			if a.ID != failed.ID && a.ClientStatus == structs.AllocClientStatusPending {
				repl = a
				return true
			}
		}
		return false
	})
	if repl.PreviousAllocation != failed.ID || repl.RescheduleTracker == nil || len(repl.RescheduleTracker.Events) != 1 {
		t.Errorf("replacement not linked to the failed allocation: prev %q tracker %+v", repl.PreviousAllocation, repl.RescheduleTracker)
	}

	// The one attempt is used up: a second failure is not rescheduled.
	ts.mustDoAsNode(repl.NodeID, "PUT", "/v1/allocations/update", structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{
		ID: repl.ID, ClientStatus: structs.AllocClientStatusFailed,
	}}}, nil)
	ts.waitFor("every evaluation of the job to finish", func() bool {
		evals := ts.store.Snapshot().EvalsByJob("default", "flaky")
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		return len(evals) >= 3
	})
	for _, a := range ts.liveAllocs("flaky") {
		if a.ID != repl.ID && a.ID != failed.ID {
			t.Fatalf("rescheduled beyond the policy's attempts: %s", a.ID)
		}
	}
}
