package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestNomadAPIDrain drains, toggles and purges a node with Nomad's
// official client: UpdateDrain, Info (DrainStrategy, LastDrain),
// MonitorDrain until "Drain complete", ToggleEligibility and Purge.
func TestNomadAPIDrain(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := startDrain(t, ts, drainJob("web", 2, 0, 0)) // max_parallel 0: nothing moves before the deadline
	c, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Nodes().UpdateDrain(a.ID, &nomad.DrainSpec{Deadline: time.Hour}, false, nil); err != nil {
		t.Fatalf("update drain: %v", err)
	}
	n, _, err := c.Nodes().Info(a.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := n.DrainStrategy; d == nil || d.Deadline != time.Hour || time.Until(d.ForceDeadline) < 59*time.Minute {
		t.Fatalf("DrainStrategy %+v, want a 1h deadline", d)
	}
	if n.LastDrain == nil || n.LastDrain.Status != nomad.DrainStatusDraining || !n.Drain || n.SchedulingEligibility != "ineligible" {
		t.Fatalf("LastDrain %+v Drain %v eligibility %q", n.LastDrain, n.Drain, n.SchedulingEligibility)
	}
	if _, err := c.Nodes().ToggleEligibility(a.ID, true, nil); err == nil || !strings.Contains(err.Error(), "draining") {
		t.Fatalf("eligible while draining: %v, want refused", err)
	}

	resp, err := c.Nodes().UpdateDrain(a.ID, &nomad.DrainSpec{Deadline: -1}, false, nil)
	if err != nil {
		t.Fatalf("force drain: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	reporter := make(chan struct{})
	go func() { defer close(reporter); reportStopped(ctx, ts, a.ID) }()
	defer func() { cancel(); <-reporter }()
	var msgs []string
	for m := range c.Nodes().MonitorDrain(ctx, a.ID, resp.LastIndex, false) {
		msgs = append(msgs, m.String())
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "Drain complete for node "+a.ID) || !strings.Contains(all, "have stopped") {
		t.Fatalf("MonitorDrain said:\n%s", all)
	}
	if got := len(ts.onNode("web", b.ID)); got != 2 {
		t.Errorf("%d allocations on node b after the drain, want 2", got)
	}

	if _, err := c.Nodes().ToggleEligibility(a.ID, true, nil); err != nil {
		t.Fatalf("toggle eligibility: %v", err)
	}
	if n, _, _ := c.Nodes().Info(a.ID, nil); n.SchedulingEligibility != "eligible" || n.LastDrain.Status != nomad.DrainStatusComplete {
		t.Errorf("eligibility %q last drain %+v", n.SchedulingEligibility, n.LastDrain)
	}
	if _, _, err := c.Nodes().Purge(a.ID, nil); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if _, _, err := c.Nodes().Info(a.ID, nil); err == nil {
		t.Error("a purged node is still found")
	}
}

// reportStopped reports, as the node would, every allocation of node the
// servers stopped as complete, until ctx ends. It runs beside the test, so
// it never fails it.
func reportStopped(ctx context.Context, ts *testServer, node string) {
	var index uint64
	for ctx.Err() == nil {
		snap := ts.store.Snapshot()
		var upd []*structs.Allocation
		for _, a := range snap.AllocsByNode(node) {
			if a.ServerTerminalStatus() && !a.ClientTerminalStatus() {
				upd = append(upd, &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusComplete})
			}
		}
		if len(upd) > 0 {
			body, _ := json.Marshal(structs.AllocUpdateRequest{Alloc: upd})
			req, _ := http.NewRequestWithContext(ctx, "PUT", ts.http.URL+"/v1/allocations/update", bytes.NewReader(body))
			req.Header.Set(NodeSecretHeader, nodeSecret(node))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		index = snap.TableIndex("allocs")
		_, _ = ts.store.WaitForChange(ctx, index, "allocs")
	}
}
