package statetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var nodeTests = []testCase{
	{"UpsertNodeKeepsCreateIndex", testUpsertNode},
	{"NodeListsAndPrefixes", testNodeLists},
	{"UpdateNodeStatus", testUpdateNodeStatus},
	{"DeleteNode", testDeleteNode},
	{"NodeSecretStoredHashed", testNodeSecretHashed},
}

func testNodeSecretHashed(t *testing.T, e *env) {
	n := NewNode("a")
	n.SecretID = "node-secret-1"
	e.must(e.s.UpsertNode(e.ctx, n))
	got := e.snap().Node(n.ID)
	if got.SecretID != "" || got.SecretHash != structs.HashSecret("node-secret-1") {
		t.Fatalf("stored node secret %q hash %q, want no secret and its hash", got.SecretID, got.SecretHash)
	}
	if by := e.snap().NodeBySecretHash(structs.HashSecret("node-secret-1")); by == nil || by.ID != n.ID {
		t.Fatalf("node by secret hash = %v", by)
	}
	again := got.Copy()
	again.Name = "renamed"
	e.must(e.s.UpsertNode(e.ctx, again))
	if got := e.snap().Node(n.ID); got.SecretHash != structs.HashSecret("node-secret-1") || got.Name != "renamed" {
		t.Fatalf("a write without a secret lost the hash: %+v", got)
	}
	e.must(e.s.UpdateNodeStatus(e.ctx, n.ID, structs.NodeStatusDown, nil))
	if e.snap().NodeBySecretHash(structs.HashSecret("node-secret-1")) == nil {
		t.Fatal("a status change lost the secret hash")
	}
	if e.snap().NodeBySecretHash(structs.HashSecret("other")) != nil || e.snap().NodeBySecretHash("") != nil {
		t.Fatal("an unknown secret found a node")
	}
}

func testUpsertNode(t *testing.T, e *env) {
	n := NewNode("a")
	first := e.must(e.s.UpsertNode(e.ctx, n))
	got := e.snap().Node(n.ID)
	if got == nil || got.CreateIndex != first || got.ModifyIndex != first || got.StatusUpdatedAt == 0 {
		t.Fatalf("node = %+v, want indexes %d", got, first)
	}
	n.Name = "renamed"
	second := e.must(e.s.UpsertNode(e.ctx, n))
	got = e.snap().Node(n.ID)
	if got.Name != "renamed" || got.CreateIndex != first || got.ModifyIndex != second || second <= first {
		t.Fatalf("replaced node = %+v (writes %d, %d)", got, first, second)
	}
	n.Name = "mutated after write"
	if e.snap().Node(n.ID).Name != "renamed" {
		t.Fatal("the store shares the caller's node")
	}
	if e.snap().TableIndex(state.TableNodes) != second {
		t.Fatal("nodes table index not the last write")
	}
}

func testNodeLists(t *testing.T, e *env) {
	nodes := e.nodes(3)
	want := make([]string, 0, 3)
	for _, n := range nodes {
		want = append(want, n.ID)
	}
	slices.Sort(want)
	snap := e.snap()
	got := make([]string, 0, 3)
	for _, n := range snap.Nodes() {
		got = append(got, n.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Nodes = %v, want %v", got, want)
	}
	if ps := snap.NodesByIDPrefix(want[1][:8]); len(ps) != 1 || ps[0].ID != want[1] {
		t.Fatalf("NodesByIDPrefix = %v", ps)
	}
}

func testUpdateNodeStatus(t *testing.T, e *env) {
	n := e.node("a")
	ev := NewEval(NewJob("web"))
	ev.TriggeredBy, ev.NodeID = structs.EvalTriggerNodeUpdate, n.ID
	idx := e.must(e.s.UpdateNodeStatus(e.ctx, n.ID, structs.NodeStatusDown, []*structs.Evaluation{ev}))
	snap := e.snap()
	got := snap.Node(n.ID)
	if got.Status != structs.NodeStatusDown || got.ModifyIndex != idx || got.CreateIndex != n.CreateIndex || got.Name != "a" {
		t.Fatalf("node after status update = %+v", got)
	}
	if snap.Eval(ev.ID) == nil || snap.Eval(ev.ID).CreateIndex != idx {
		t.Fatal("status update did not write its eval in the same write")
	}
	same := e.must(e.s.UpdateNodeStatus(e.ctx, n.ID, structs.NodeStatusDown, nil))
	if e.snap().Node(n.ID).ModifyIndex != idx || same < idx {
		t.Fatal("an unchanged status rewrote the node")
	}
	_, err := e.s.UpdateNodeStatus(e.ctx, "unknown-node", structs.NodeStatusDown, nil)
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unknown node: %v, want ErrNotFound", err)
	}
}

func testDeleteNode(t *testing.T, e *env) {
	a, b := e.node("a"), e.node("b")
	idx := e.must(e.s.DeleteNode(e.ctx, a.ID))
	snap := e.snap()
	if snap.Node(a.ID) != nil || snap.Node(b.ID) == nil || snap.TableIndex(state.TableNodes) != idx {
		t.Fatal("DeleteNode removed the wrong node or left the table index")
	}
	_, err := e.s.DeleteNode(e.ctx, a.ID)
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("deleting an unknown node: %v, want ErrNotFound", err)
	}
}
