package server

import (
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestJobUpdateRollsOut changes a task's config (a destructive update) on a
// job with max_parallel 1: the allocations are replaced one evaluation at a
// time until all run the new version.
func TestJobUpdateRollsOut(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.registerNode(fakeNode("b", "dc1", "raw_exec"))
	job := testJob("roll", 3, "raw_exec")
	job.Update = &structs.UpdateStrategy{MaxParallel: 1, Stagger: 20 * time.Millisecond}
	ts.waitEval(ts.register(job).EvalID)
	if n := len(ts.liveAllocs("roll")); n != 3 {
		t.Fatalf("%d allocations, want 3", n)
	}

	job.TaskGroups[0].Tasks[0].Config = map[string]any{"command": "/bin/false"}
	first := ts.waitEval(ts.register(job).EvalID)
	if first.Status != structs.EvalStatusComplete {
		t.Fatalf("update eval %s: %s", first.Status, first.StatusDescription)
	}
	ts.waitFor("every allocation on version 1", func() bool {
		live := ts.liveAllocs("roll")
		if len(live) != 3 {
			return false
		}
		for _, a := range live {
			if a.JobVersion != 1 {
				return false
			}
		}
		return true
	})

	// Changing only the count is an in-place change for the others.
	job.TaskGroups[0].Count = 4
	ts.waitEval(ts.register(job).EvalID)
	live := ts.liveAllocs("roll")
	if len(live) != 4 {
		t.Fatalf("%d allocations after scale, want 4", len(live))
	}
}
