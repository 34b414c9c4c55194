package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestNodeIdentity: a node proves itself with the secret it first
// registered with, and touches only its own node and allocations.
func TestNodeIdentity(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := fakeNode("a", "dc1", "raw_exec"), fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.registerNode(b)
	ts.waitEval(ts.register(testJob("web", 1, "raw_exec")).EvalID)
	alloc := ts.liveAllocs("web")[0]
	owner, other := a, b
	if alloc.NodeID == b.ID {
		owner, other = b, a
	}

	stolen := *owner
	stolen.SecretID = "a-different-secret-123"
	if code, body := ts.do("PUT", "/v1/node/register", &stolen, nil); code != http.StatusForbidden || !strings.Contains(body, "another secret") {
		t.Fatalf("re-register with another secret: %d %s", code, body)
	}
	hb := "/v1/node/" + owner.ID + "/heartbeat"
	if code, _ := ts.do("PUT", hb, "{}", nil); code != http.StatusForbidden {
		t.Fatalf("heartbeat without a secret: %d, want 403", code)
	}
	if code, _ := ts.doAsNode(other.ID, "PUT", hb, struct{}{}, nil); code != http.StatusForbidden {
		t.Fatalf("heartbeat with another node's secret: %d, want 403", code)
	}
	ts.mustDoAsNode(owner.ID, "PUT", hb, struct{}{}, nil)

	upd := structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusFailed}}}
	if code, body := ts.doAsNode(other.ID, "PUT", "/v1/allocations/update", upd, nil); code != http.StatusForbidden || !strings.Contains(body, "only that node") {
		t.Fatalf("another node updates the allocation: %d %s", code, body)
	}
	if code, _ := ts.do("PUT", "/v1/allocations/update", upd, nil); code != http.StatusForbidden {
		t.Fatalf("an anonymous allocation update: %d, want 403", code)
	}
	if ts.store.Snapshot().Alloc(alloc.ID).ClientStatus == structs.AllocClientStatusFailed {
		t.Fatal("a refused update changed the allocation")
	}
	ts.mustDoAsNode(owner.ID, "PUT", "/v1/allocations/update", upd, nil)

	var info map[string]any
	ts.mustDo("GET", "/v1/node/"+owner.ID, nil, &info)
	for _, k := range []string{"SecretID", "SecretHash", "WharfSecretHash"} {
		if _, ok := info[k]; ok {
			t.Errorf("node info shows %s", k)
		}
	}
}

// TestNodeIdentityWithACLs: a new node needs a token with node write; it
// then works with its node secret alone, and reads only its own
// allocations without a token.
func TestNodeIdentityWithACLs(t *testing.T) {
	ts, root := aclServer(t)
	n := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.do("PUT", "/v1/node/register", n, nil); code != http.StatusForbidden || !strings.Contains(body, "node policy") {
		t.Fatalf("new node without a token: %d %s", code, body)
	}
	reader := ts.clientToken("reader", `node { policy = "read" }`)
	if code, _ := ts.doToken("PUT", "/v1/node/register", reader, strings.NewReader(dumpJSON(n)), nil); code != http.StatusForbidden {
		t.Fatalf("new node with node read: %d, want 403", code)
	}
	writer := ts.clientToken("writer", `node { policy = "write" }`)
	if code, body := ts.doToken("PUT", "/v1/node/register", writer, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
		t.Fatalf("new node with node write: %d %s", code, body)
	}
	ts.mustDoAsNode(n.ID, "PUT", "/v1/node/register", n, nil)
	ts.mustDoAsNode(n.ID, "PUT", "/v1/node/"+n.ID+"/heartbeat", struct{}{}, nil)
	ts.mustDoAsNode(n.ID, "GET", "/v1/node/"+n.ID+"/allocations", nil, nil)
	if code, _ := ts.doAsNode(n.ID, "GET", "/v1/node/other/allocations", nil, nil); code != http.StatusForbidden {
		t.Fatalf("a node reads another node's allocations: %d, want 403", code)
	}
	if code, _ := ts.doAsNode(n.ID, "GET", "/v1/jobs", nil, nil); code != http.StatusForbidden {
		t.Fatalf("a node secret lists jobs: %d, want 403", code)
	}
	if code, _ := ts.doToken("PUT", "/v1/node/"+n.ID+"/heartbeat", root, strings.NewReader("{}"), nil); code != http.StatusOK {
		t.Fatalf("management heartbeat: %d", code)
	}
}

// TestNodeSecretOutlivesItsToken: a node registered with a token keeps
// working with its secret once that token is deleted.
func TestNodeSecretOutlivesItsToken(t *testing.T) {
	ts, _ := aclServer(t)
	writer := ts.clientToken("writer", `node { policy = "write" }`)
	n := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.doToken("PUT", "/v1/node/register", writer, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
		t.Fatalf("register: %d %s", code, body)
	}
	for _, tok := range ts.store.Snapshot().ACLTokens() {
		if tok.Name == "writer" {
			if _, err := ts.store.DeleteACLTokens(t.Context(), []string{tok.AccessorID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	req, _ := http.NewRequest("PUT", ts.http.URL+"/v1/node/"+n.ID+"/heartbeat", strings.NewReader("{}"))
	req.Header.Set(TokenHeader, writer)
	req.Header.Set(NodeSecretHeader, nodeSecret(n.ID))
	if code, body := ts.send(req, nil); code != http.StatusOK {
		t.Fatalf("heartbeat with the node secret and a deleted token: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", ts.http.URL+"/v1/jobs", nil)
	req.Header.Set(TokenHeader, writer)
	req.Header.Set(NodeSecretHeader, nodeSecret(n.ID))
	if code, _ := ts.send(req, nil); code != http.StatusForbidden {
		t.Fatalf("the node secret lists jobs: %d, want 403", code)
	}
}
