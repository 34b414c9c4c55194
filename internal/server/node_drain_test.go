package server

import (
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestNodeDrainMovesAllocs drains the node that runs a job's allocations:
// they move to the other node, and the drained node stays ineligible.
// Disabling the drain clears Drain; MarkEligible makes it eligible.
func TestNodeDrainMovesAllocs(t *testing.T) {
	ts := newTestServer(t, nil)
	a := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.waitEval(ts.register(testJob("web", 2, "raw_exec")).EvalID)
	b := fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(b)
	before := ts.liveAllocs("web")
	for _, al := range before {
		if al.NodeID != a.ID {
			t.Fatalf("allocation %s placed on %s before node b joined", al.ID, al.NodeID)
		}
	}

	var resp structs.NodeUpdateResponse
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{
		"DrainSpec": map[string]any{"Deadline": int64(time.Hour), "IgnoreSystemJobs": false},
	}, &resp)
	if len(resp.EvalIDs) != 1 {
		t.Fatalf("EvalIDs %v, want one evaluation for the one job", resp.EvalIDs)
	}
	if ev := ts.waitEval(resp.EvalIDs[0]); ev.TriggeredBy != evalTriggerNodeDrain || ev.NodeID != a.ID {
		t.Errorf("eval triggered by %q for node %q, want node-drain for %s", ev.TriggeredBy, ev.NodeID, a.ID)
	}
	live := ts.liveAllocs("web")
	if len(live) != 2 {
		t.Fatalf("%d live allocations after drain, want 2", len(live))
	}
	for _, al := range live {
		if al.NodeID != b.ID {
			t.Errorf("allocation %s still on node %s after drain", al.ID, al.NodeID)
		}
	}
	n := ts.store.Snapshot().Node(a.ID)
	if !n.Drain || n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Errorf("drained node Drain=%v eligibility %q, want true ineligible", n.Drain, n.SchedulingEligibility)
	}
	if len(n.Events) == 0 || n.Events[len(n.Events)-1].Details["deadline"] != "1h0m0s" {
		t.Errorf("drain deadline not recorded in node events: %+v", n.Events)
	}

	tests := []struct {
		name         string
		markEligible bool
		want         string
	}{
		{"disable keeps ineligible", false, structs.NodeSchedulingIneligible},
		{"disable and mark eligible", true, structs.NodeSchedulingEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.mustDo("POST", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": nil, "MarkEligible": tt.markEligible}, nil)
			n := ts.store.Snapshot().Node(a.ID)
			if n.Drain || n.SchedulingEligibility != tt.want {
				t.Errorf("Drain=%v eligibility %q, want false %q", n.Drain, n.SchedulingEligibility, tt.want)
			}
		})
	}
}

// TestNodeDrainUnknownNode answers 404.
func TestNodeDrainUnknownNode(t *testing.T) {
	ts := newTestServer(t, nil)
	if code, body := ts.do("PUT", "/v1/node/nope/drain", map[string]any{"DrainSpec": map[string]any{}}, nil); code != 404 {
		t.Errorf("status %d (%s), want 404", code, body)
	}
}
