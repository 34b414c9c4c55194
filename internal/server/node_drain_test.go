package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// drainJob is testJob with a migrate block judged on task states.
func drainJob(id string, count, maxParallel int, minHealthy time.Duration) *structs.Job {
	j := testJob(id, count, "raw_exec")
	j.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: maxParallel,
		HealthCheck: structs.MigrateHealthTaskStates, MinHealthyTime: minHealthy, HealthyDeadline: time.Hour}
	return j
}

// reportRunning reports every pending allocation of the job that is meant
// to run as running, as its node would.
func (ts *testServer) reportRunning(jobID string) {
	ts.t.Helper()
	for _, a := range ts.liveAllocs(jobID) {
		if a.ClientStatus != structs.AllocClientStatusPending {
			continue
		}
		now := time.Now()
		upd := structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{ID: a.ID, ClientStatus: structs.AllocClientStatusRunning,
			TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, StartedAt: now}}}}}
		ts.mustDoAsNode(a.NodeID, "PUT", "/v1/allocations/update", upd, nil)
	}
}

// onNode returns the job's live allocations on node.
func (ts *testServer) onNode(jobID, node string) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range ts.liveAllocs(jobID) {
		if a.NodeID == node {
			out = append(out, a)
		}
	}
	return out
}

// startDrain registers a job of count allocations on a node a, then a
// node b, and returns both.
func startDrain(t *testing.T, ts *testServer, job *structs.Job) (a, b *structs.Node) {
	t.Helper()
	a = fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.waitEval(ts.register(job).EvalID)
	ts.reportRunning(job.ID)
	b = fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(b)
	if got := len(ts.onNode(job.ID, a.ID)); got != job.TaskGroups[0].Count {
		t.Fatalf("%d allocations on node a, want %d", got, job.TaskGroups[0].Count)
	}
	return a, b
}

// waitDrainComplete waits until the node's drain strategy is cleared and
// checks what a completed drain leaves.
func (ts *testServer) waitDrainComplete(id string) *structs.Node {
	ts.t.Helper()
	var n *structs.Node
	ts.waitFor("the drain to complete", func() bool {
		n = ts.store.Snapshot().Node(id)
		return n.DrainStrategy == nil
	})
	if n.Drain || n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		ts.t.Errorf("drained node Drain=%v eligibility %q, want false ineligible", n.Drain, n.SchedulingEligibility)
	}
	if n.LastDrain == nil || n.LastDrain.Status != structs.DrainStatusComplete {
		ts.t.Errorf("LastDrain %+v, want status complete", n.LastDrain)
	}
	if ev := n.Events[len(n.Events)-1]; ev.Message != "Node drain complete" {
		ts.t.Errorf("last node event %q, want Node drain complete", ev.Message)
	}
	return n
}

// TestNodeDrainMigratesOneAtATime drains a node under migrate
// max_parallel 1: one allocation moves, the next only once its
// replacement runs, and the drain completes when none is left.
func TestNodeDrainMigratesOneAtATime(t *testing.T) {
	ts := newTestServer(t, nil)
	job := drainJob("web", 2, 1, 0)
	a, b := startDrain(t, ts, job)

	var resp structs.NodeUpdateResponse
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{
		"DrainSpec": map[string]any{"Deadline": int64(time.Hour)}, "Meta": map[string]string{"why": "kernel"},
	}, &resp)
	ts.waitFor("one replacement on node b", func() bool { return len(ts.onNode("web", b.ID)) == 1 })
	if left := ts.onNode("web", a.ID); len(left) != 1 || markedForMigration(left[0]) {
		t.Fatalf("with the first replacement pending, node a has %d live allocations (want 1, unmarked)", len(left))
	}
	n := ts.store.Snapshot().Node(a.ID)
	if n.DrainStrategy == nil || n.LastDrain.Status != structs.DrainStatusDraining || n.LastDrain.Meta["why"] != "kernel" {
		t.Fatalf("draining node: strategy %+v last drain %+v", n.DrainStrategy, n.LastDrain)
	}
	if n.Events[len(n.Events)-1].Details["deadline"] != "1h0m0s" {
		t.Errorf("drain deadline not recorded in node events: %+v", n.Events[len(n.Events)-1])
	}

	ts.reportRunning("web")
	ts.waitFor("both allocations on node b", func() bool { return len(ts.onNode("web", b.ID)) == 2 })
	ts.reportRunning("web")
	ts.waitDrainComplete(a.ID)
	for _, e := range ts.store.Snapshot().EvalsByJob("default", "web") {
		if e.TriggeredBy == evalTriggerNodeDrain && e.NodeID != a.ID {
			t.Errorf("drain evaluation %s names node %q, want %s", e.ID, e.NodeID, a.ID)
		}
	}
}

// TestNodeDrainDeadline: allocations that cannot migrate within their
// limits (replacements never healthy in time) are stopped when the
// deadline passes, not before.
func TestNodeDrainDeadline(t *testing.T) {
	ts := newTestServer(t, nil)
	job := drainJob("web", 2, 1, 30*time.Minute)
	a, _ := startDrain(t, ts, job)
	const deadline = time.Second
	start := time.Now()
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": int64(deadline)}}, nil)
	ts.waitFor("node a emptied", func() bool { return len(ts.onNode("web", a.ID)) == 0 })
	if took := time.Since(start); took < deadline {
		t.Errorf("node a emptied after %s, before its %s deadline", took, deadline)
	}
	for _, al := range ts.store.Snapshot().AllocsByNode(a.ID) {
		if al.DesiredDescription != "alloc migrated off its node" {
			t.Errorf("allocation %s stopped as %q, want migrated", al.ID, al.DesiredDescription)
		}
	}
	ts.waitDrainComplete(a.ID)
	if got := len(ts.liveAllocs("web")); got != 2 {
		t.Errorf("%d live allocations after the drain, want 2 on node b", got)
	}
}

// TestNodeDrainForce: a negative deadline (-force) stops everything at
// once, whatever max_parallel says.
func TestNodeDrainForce(t *testing.T) {
	ts := newTestServer(t, nil)
	job := drainJob("web", 3, 1, 30*time.Minute)
	a, b := startDrain(t, ts, job)
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": -1}}, nil)
	ts.waitFor("all three on node b", func() bool { return len(ts.onNode("web", b.ID)) == 3 })
	ts.waitDrainComplete(a.ID)
}

// TestNodeDrainDisable: disabling a drain cancels it; MarkEligible makes
// the node eligible.
func TestNodeDrainDisable(t *testing.T) {
	ts := newTestServer(t, nil)
	job := drainJob("web", 2, 0, 0) // max_parallel 0: nothing moves before the deadline
	a, _ := startDrain(t, ts, job)
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": int64(time.Hour)}}, nil)
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
			if n.Drain || n.DrainStrategy != nil || n.SchedulingEligibility != tt.want {
				t.Errorf("Drain=%v strategy %+v eligibility %q, want false nil %q", n.Drain, n.DrainStrategy, n.SchedulingEligibility, tt.want)
			}
		})
	}
	if n := ts.store.Snapshot().Node(a.ID); n.LastDrain == nil || n.LastDrain.Status != structs.DrainStatusCanceled {
		t.Errorf("LastDrain %+v, want canceled", n.LastDrain)
	}
	if got := len(ts.onNode("web", a.ID)); got != 2 {
		t.Errorf("%d allocations left node a during a canceled drain, want none to", 2-got)
	}
}

// TestNodeDrainBadRequests answers what cannot be done with a 4xx and
// changes nothing.
func TestNodeDrainBadRequests(t *testing.T) {
	ts := newTestServer(t, nil)
	a := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	bigMeta := map[string]string{}
	for i := range maxDrainMetaKeys + 1 {
		bigMeta[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name string
		path string
		body any
		code int
		want string
	}{
		{"unknown node", "/v1/node/nope/drain", map[string]any{"DrainSpec": map[string]any{}}, 404, "not found"},
		{"drain and mark eligible", "/v1/node/" + a.ID + "/drain", map[string]any{"DrainSpec": map[string]any{}, "MarkEligible": true}, 400, "MarkEligible"},
		{"too many meta keys", "/v1/node/" + a.ID + "/drain", map[string]any{"DrainSpec": map[string]any{}, "Meta": bigMeta}, 400, "Meta"},
		{"meta too large", "/v1/node/" + a.ID + "/drain", map[string]any{"DrainSpec": map[string]any{}, "Meta": map[string]string{"k": strings.Repeat("v", maxDrainMetaBytes)}}, 400, "Meta"},
		{"deadline not a number", "/v1/node/" + a.ID + "/drain", `{"DrainSpec":{"Deadline":"soon"}}`, 400, "Deadline"},
		{"bad eligibility", "/v1/node/" + a.ID + "/eligibility", map[string]any{"Eligibility": "maybe"}, 400, "Eligibility"},
		{"eligibility of unknown node", "/v1/node/nope/eligibility", map[string]any{"Eligibility": "eligible"}, 404, "not found"},
		{"purge unknown node", "/v1/node/nope/purge", nil, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := ts.do("PUT", tt.path, tt.body, nil)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s, want %d naming %q", code, body, tt.code, tt.want)
			}
		})
	}
	if n := ts.store.Snapshot().Node(a.ID); n.DrainStrategy != nil || n.SchedulingEligibility != structs.NodeSchedulingEligible {
		t.Errorf("refused requests changed the node: strategy %+v eligibility %q", n.DrainStrategy, n.SchedulingEligibility)
	}
}

// TestNodeEligibility: a node is made ineligible and eligible again, but
// not eligible while draining; a client registering again keeps what the
// operator set.
func TestNodeEligibility(t *testing.T) {
	ts := newTestServer(t, nil)
	a, _ := startDrain(t, ts, drainJob("web", 1, 0, 0)) // max_parallel 0: the drain lasts
	path := "/v1/node/" + a.ID + "/eligibility"
	ts.mustDo("PUT", path, map[string]any{"NodeID": a.ID, "Eligibility": "ineligible"}, nil)
	if n := ts.store.Snapshot().Node(a.ID); n.SchedulingEligibility != "ineligible" || n.Events[len(n.Events)-1].Subsystem != "Cluster" {
		t.Fatalf("eligibility %q events %+v after marking ineligible", n.SchedulingEligibility, n.Events)
	}
	ts.mustDo("PUT", path, map[string]any{"Eligibility": "eligible"}, nil)
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": int64(time.Hour)}}, nil)
	if code, body := ts.do("PUT", path, map[string]any{"Eligibility": "eligible"}, nil); code != http.StatusBadRequest || !strings.Contains(body, "draining") {
		t.Fatalf("eligible while draining: %d %s, want 400", code, body)
	}
	ts.registerNode(a)
	n := ts.store.Snapshot().Node(a.ID)
	if n.DrainStrategy == nil || n.SchedulingEligibility != "ineligible" || len(n.Events) == 0 {
		t.Errorf("re-registration reset the drain: strategy %+v eligibility %q events %d", n.DrainStrategy, n.SchedulingEligibility, len(n.Events))
	}
}

// TestNodePurge removes a node: its allocations are lost and replaced on
// another node, and the node is gone.
func TestNodePurge(t *testing.T) {
	ts := newTestServer(t, nil)
	job := drainJob("web", 2, 1, 0)
	a, b := startDrain(t, ts, job)
	var resp NodePurgeResponse
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/purge", nil, &resp)
	if len(resp.EvalIDs) != 1 || resp.NodeModifyIndex == 0 {
		t.Fatalf("purge answered %+v, want one evaluation and an index", resp)
	}
	if code, _ := ts.do("GET", "/v1/node/"+a.ID, nil, nil); code != http.StatusNotFound {
		t.Errorf("purged node answers %d, want 404", code)
	}
	ts.waitEval(resp.EvalIDs[0])
	if got := len(ts.onNode("web", b.ID)); got != 2 {
		t.Errorf("%d replacements on node b, want 2", got)
	}
	for _, al := range ts.store.Snapshot().AllocsByNode(a.ID) {
		if al.ClientStatus != structs.AllocClientStatusLost {
			t.Errorf("allocation %s of the purged node is %q, want lost", al.ID, al.ClientStatus)
		}
	}
}

// TestNodeDrainJobGone: allocations whose job was purged without being
// stopped do not hold a drain: they are stopped at once.
func TestNodeDrainJobGone(t *testing.T) {
	ts := newTestServer(t, nil)
	a, _ := startDrain(t, ts, drainJob("web", 2, 1, 0))
	if _, err := ts.store.DeregisterJob(context.Background(), "default", "web", true, nil); err != nil {
		t.Fatal(err)
	}
	if got := len(ts.onNode("web", a.ID)); got != 2 {
		t.Fatalf("%d allocations left on node a after the purge, the test needs 2", got)
	}
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": int64(time.Hour)}}, nil)
	ts.waitDrainComplete(a.ID)
	if got := len(ts.onNode("web", a.ID)); got != 0 {
		t.Errorf("%d allocations of the gone job still meant to run on node a", got)
	}
}
