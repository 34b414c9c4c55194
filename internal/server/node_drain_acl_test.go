package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestNodeDrainNeedsNodeWrite: drain, eligibility and purge need a token
// with node write; no token, a node read token and a node's own secret
// are refused and change nothing.
func TestNodeDrainNeedsNodeWrite(t *testing.T) {
	ts, root := aclServer(t)
	a := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.doToken("PUT", "/v1/node/register", root, strings.NewReader(mustJSON(t, a)), nil); code != http.StatusOK {
		t.Fatalf("register: %d %s", code, body)
	}
	reader := ts.clientToken("reader", `node { policy = "read" }`)
	writer := ts.clientToken("writer", `node { policy = "write" }`)
	routes := []struct{ path, body string }{
		{"/v1/node/" + a.ID + "/drain", `{"DrainSpec":{"Deadline":-1}}`},
		{"/v1/node/" + a.ID + "/eligibility", `{"Eligibility":"ineligible"}`},
		{"/v1/node/" + a.ID + "/purge", ``},
	}
	for _, r := range routes {
		for _, secret := range []string{"", reader} {
			if code, body := ts.doToken("PUT", r.path, secret, strings.NewReader(r.body), nil); code != http.StatusForbidden {
				t.Errorf("PUT %s with token %q: %d %s, want 403", r.path, secret, code, body)
			}
		}
		req, _ := http.NewRequest("PUT", ts.http.URL+r.path, strings.NewReader(r.body))
		req.Header.Set(NodeSecretHeader, nodeSecret(a.ID))
		if code, body := ts.send(req, nil); code != http.StatusForbidden {
			t.Errorf("PUT %s with the node's own secret: %d %s, want 403", r.path, code, body)
		}
	}
	n := ts.store.Snapshot().Node(a.ID)
	if n == nil || n.DrainStrategy != nil || n.SchedulingEligibility != "eligible" {
		t.Fatalf("refused requests changed the node: %+v", n)
	}
	for _, r := range routes {
		if code, body := ts.doToken("PUT", r.path, writer, strings.NewReader(r.body), nil); code != http.StatusOK {
			t.Errorf("PUT %s with node write: %d %s, want 200", r.path, code, body)
		}
	}
	if ts.store.Snapshot().Node(a.ID) != nil {
		t.Error("the node survived a purge with node write")
	}
}
