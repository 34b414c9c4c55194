package server

import (
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestAllocStopPlacesReplacement stops one allocation: it is stopped and
// a replacement placed, through an alloc-stop evaluation.
func TestAllocStopPlacesReplacement(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.waitEval(ts.register(testJob("web", 1, "raw_exec")).EvalID)
	old := ts.liveAllocs("web")[0]

	var resp AllocStopResponse
	ts.mustDo("PUT", "/v1/allocation/"+old.ID+"/stop", nil, &resp)
	if resp.EvalID == "" || resp.Index == 0 {
		t.Fatalf("response %+v: want an EvalID and an Index", resp)
	}
	ev := ts.waitEval(resp.EvalID)
	if ev.TriggeredBy != structs.EvalTriggerAllocStop || ev.Status != structs.EvalStatusComplete {
		t.Errorf("eval triggered by %q status %q, want alloc-stop complete", ev.TriggeredBy, ev.Status)
	}
	snap := ts.store.Snapshot()
	stopped := snap.Alloc(old.ID)
	if stopped.DesiredStatus != structs.AllocDesiredStatusStop || stopped.DesiredTransition.Migrate == nil {
		t.Errorf("old allocation desired %q transition %+v, want stop and migrate", stopped.DesiredStatus, stopped.DesiredTransition)
	}
	live := ts.liveAllocs("web")
	if len(live) != 1 || live[0].ID == old.ID {
		t.Fatalf("live allocations %v, want one replacement", allocIDs(live))
	}
	if live[0].PreviousAllocation != old.ID {
		t.Errorf("replacement's PreviousAllocation %q, want %q", live[0].PreviousAllocation, old.ID)
	}
}

// TestAllocStopErrors covers unknown and already stopped allocations.
func TestAllocStopErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.waitEval(ts.register(testJob("web", 1, "raw_exec")).EvalID)
	old := ts.liveAllocs("web")[0]
	var resp AllocStopResponse
	ts.mustDo("POST", "/v1/allocation/"+old.ID+"/stop", nil, &resp)
	ts.waitEval(resp.EvalID)

	tests := []struct {
		name, id string
		code     int
	}{
		{"unknown", structs.GenerateUUID(), http.StatusNotFound},
		{"already stopped", old.ID, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := ts.do("PUT", "/v1/allocation/"+tt.id+"/stop", nil, nil); code != tt.code {
				t.Errorf("status %d (%s), want %d", code, body, tt.code)
			}
		})
	}
}

func allocIDs(allocs []*structs.Allocation) []string {
	out := make([]string, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.ID)
	}
	return out
}
