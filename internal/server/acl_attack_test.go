package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// twoNamespaces is a server with a job, its evaluation and allocation,
// and a service instance in each of "default" and "prod".
func twoNamespaces(t *testing.T) (*testServer, string) {
	t.Helper()
	ts, root := aclServer(t)
	n := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.doToken("PUT", "/v1/node/register", root, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
		t.Fatalf("register node: %d %s", code, body)
	}
	for _, ns := range []string{"default", "prod"} {
		job := testJob("web-"+ns, 1, "raw_exec")
		job.Namespace = ns
		if code, body := ts.doToken("PUT", "/v1/jobs?namespace="+ns, root, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusOK {
			t.Fatalf("register %s: %d %s", ns, code, body)
		}
		ts.waitFor("an allocation in "+ns, func() bool { return len(ts.store.Snapshot().AllocsByJob(ns, job.ID)) > 0 })
		reg := &structs.ServiceRegistration{ID: "svc-" + ns, ServiceName: "svc-" + ns, Namespace: ns, Address: "10.0.0.1", Port: 80}
		if _, err := ts.store.UpsertServiceRegistrations(t.Context(), []*structs.ServiceRegistration{reg}); err != nil {
			t.Fatal(err)
		}
	}
	return ts, root
}

// TestListsShowOnlyReadableNamespaces: a token that reads "default" but
// not "prod" sees nothing of prod in any list, with or without
// ?namespace, and with the * wildcard under a glob rule that prod denies.
func TestListsShowOnlyReadableNamespaces(t *testing.T) {
	ts, _ := twoNamespaces(t)
	reader := ts.clientToken("default-reader", `namespace "default" { policy = "read" }`)
	globReader := ts.clientToken("glob-reader", `namespace "*" { policy = "read" }`, `namespace "prod" { policy = "deny" }`)
	tests := []struct {
		path, token string
	}{
		{"/v1/allocations", reader},
		{"/v1/allocations?namespace=default", reader},
		{"/v1/allocations?namespace=*", globReader},
		{"/v1/allocations", globReader},
		{"/v1/evaluations", reader},
		{"/v1/evaluations?namespace=*", globReader},
		{"/v1/services?namespace=*", globReader},
		{"/v1/services/instances?namespace=*", globReader},
		{"/v1/jobs?namespace=*", globReader},
	}
	for _, tc := range tests {
		code, body := ts.doToken("GET", tc.path, tc.token, nil, nil)
		if code != http.StatusOK && code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("%s: %d %s", tc.path, code, body)
		}
		if strings.Contains(body, `"prod"`) || strings.Contains(body, "web-prod") || strings.Contains(body, "svc-prod") {
			t.Errorf("%s shows namespace prod to a token that may not read it: %s", tc.path, body)
		}
	}
	// What the token may read is still listed.
	if _, body := ts.doToken("GET", "/v1/allocations", reader, nil, nil); !strings.Contains(body, "web-default") {
		t.Errorf("allocations of default missing: %s", body)
	}
	if _, body := ts.doToken("GET", "/v1/services/instances?namespace=*", globReader, nil, nil); !strings.Contains(body, "svc-default") {
		t.Errorf("instances of default missing: %s", body)
	}
}

// TestJobBodyNamespaceIsChecked: the route checks ?namespace; a job whose
// body names another namespace needs submit-job there too.
func TestJobBodyNamespaceIsChecked(t *testing.T) {
	ts, _ := aclServer(t)
	writer := ts.clientToken("default-writer", `namespace "default" { policy = "write" }`)
	job := testJob("sneak", 1, "raw_exec")
	job.Namespace = "prod"
	for _, path := range []string{"/v1/jobs", "/v1/job/sneak", "/v1/job/sneak/plan"} {
		code, body := ts.doToken("PUT", path, writer, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil)
		if code != http.StatusForbidden || !strings.Contains(body, `namespace "prod"`) {
			t.Errorf("PUT %s of a prod job with a default token: %d %s, want 403", path, code, body)
		}
	}
	if ts.store.Snapshot().Job("prod", "sneak") != nil {
		t.Fatal("the job was registered in prod")
	}
	job.Namespace = "default"
	if code, body := ts.doToken("PUT", "/v1/jobs", writer, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusOK {
		t.Fatalf("a default job with a default token: %d %s", code, body)
	}
}

// TestServiceDeleteStaysInItsNamespace: DELETE /v1/service/:name/:id
// without ?namespace (or with *) cannot remove another namespace's
// instance.
func TestServiceDeleteStaysInItsNamespace(t *testing.T) {
	ts, _ := twoNamespaces(t)
	writer := ts.clientToken("default-writer", `namespace "default" { policy = "write" }`)
	for _, path := range []string{"/v1/service/svc-prod/svc-prod", "/v1/service/svc-prod/svc-prod?namespace=default"} {
		if code, body := ts.doToken("DELETE", path, writer, nil, nil); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("DELETE %s: %d %s, want 404 or 403", path, code, body)
		}
	}
	if ts.store.Snapshot().ServiceRegistration("svc-prod") == nil {
		t.Fatal("a default token deleted prod's service instance")
	}
	if code, body := ts.doToken("DELETE", "/v1/service/svc-default/svc-default", writer, nil, nil); code != http.StatusOK {
		t.Fatalf("DELETE of its own namespace's instance: %d %s", code, body)
	}
}

// TestBlockingQueryRechecksItsToken: a blocking query that started with a
// valid token and wakes after the token expired answers 403, not the
// data. (The query blocked for its wait, so it passed the check at its
// start: a refusal answers at once.)
func TestBlockingQueryRechecksItsToken(t *testing.T) {
	ts, _ := twoNamespaces(t)
	secret := structs.GenerateUUID()
	expires := time.Now().Add(time.Second)
	pol := &structs.ACLPolicy{Name: "reads-default", Rules: `namespace "default" { policy = "read" }`}
	if _, err := ts.store.UpsertACLPolicies(t.Context(), []*structs.ACLPolicy{pol}); err != nil {
		t.Fatal(err)
	}
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret), Name: "short",
		Type: structs.ACLClientToken, Policies: []string{pol.Name}, ExpirationTime: &expires}
	if _, err := ts.store.UpsertACLTokens(t.Context(), []*structs.ACLToken{tok}); err != nil {
		t.Fatal(err)
	}
	idx := ts.store.Snapshot().TableIndex(allocTables...)
	start := time.Now()
	code, body := ts.doToken("GET", "/v1/allocations?wait=3s&index="+strconv.FormatUint(idx, 10), secret, nil, nil)
	if time.Since(start) < 2*time.Second {
		t.Fatalf("the query did not block (%v): %d %s", time.Since(start), code, body)
	}
	if code != http.StatusForbidden || strings.Contains(body, "web-default") {
		t.Fatalf("the woken query of an expired token: %d %s, want 403 without data", code, body)
	}
}

// TestTokenHeadersAndQuery: X-Nomad-Token wins over Authorization when
// both are sent, and ?token= is not a credential on the Nomad API.
func TestTokenHeadersAndQuery(t *testing.T) {
	ts, root := aclServer(t)
	req, _ := http.NewRequest("GET", ts.http.URL+"/v1/acl/tokens", nil)
	req.Header.Set(TokenHeader, "not-a-token-at-all-xxxx")
	req.Header.Set("Authorization", "Bearer "+root)
	if code, _ := ts.send(req, nil); code != http.StatusForbidden {
		t.Errorf("a wrong X-Nomad-Token with a right bearer: %d, want 403 (X-Nomad-Token decides)", code)
	}
	if code, _ := ts.doToken("GET", "/v1/acl/tokens?token="+root, "", nil, nil); code != http.StatusForbidden {
		t.Errorf("?token= on the Nomad API: %d, want 403", code)
	}
}

// TestClientTokenCannotRaiseItself: a client token cannot make itself a
// management token, create a policy, or delete the anonymous policy.
func TestClientTokenCannotRaiseItself(t *testing.T) {
	ts, _ := aclServer(t)
	secret := ts.clientToken("climber", `namespace "default" { policy = "write" }`, `node { policy = "write" }`)
	var tok structs.ACLToken
	if code, body := ts.doToken("GET", "/v1/acl/token/self", secret, nil, &tok); code != http.StatusOK {
		t.Fatalf("self: %d %s", code, body)
	}
	up := `{"AccessorID":"` + tok.AccessorID + `","Type":"management","Name":"climber"}`
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/acl/token/" + tok.AccessorID, up},
		{"POST", "/v1/acl/token", `{"Type":"management","Name":"new"}`},
		{"POST", "/v1/acl/policy/mine", `{"Name":"mine","Rules":"node { policy = \"write\" }"}`},
		{"DELETE", "/v1/acl/policy/anonymous", ""},
		{"GET", "/v1/acl/tokens", ""},
	} {
		if code, body := ts.doToken(tc.method, tc.path, secret, strings.NewReader(tc.body), nil); code != http.StatusForbidden {
			t.Errorf("%s %s with a client token: %d %s, want 403", tc.method, tc.path, code, body)
		}
	}
	if got := ts.store.Snapshot().ACLTokenBySecretHash(structs.HashSecret(secret)); got == nil || got.Type != structs.ACLClientToken {
		t.Fatalf("the token changed: %+v", got)
	}
}

// TestNodeSecretIsNotAToken: a node's secret sent as an ACL token grants
// nothing of a token.
func TestNodeSecretIsNotAToken(t *testing.T) {
	ts, root := aclServer(t)
	n := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.doToken("PUT", "/v1/node/register", root, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
		t.Fatalf("register: %d %s", code, body)
	}
	for _, path := range []string{"/v1/jobs", "/v1/acl/tokens", "/v1/nodes"} {
		if code, _ := ts.doToken("GET", path, nodeSecret(n.ID), nil, nil); code != http.StatusForbidden {
			t.Errorf("GET %s with the node secret as a token: %d, want 403", path, code)
		}
	}
}

// TestNodeWriteTokenCannotActForANode: the token every client agent holds
// (node write, as the agent policy) does not let one client heartbeat
// another node or update its allocations; only the node's own secret (or
// a management token) does.
func TestNodeWriteTokenCannotActForANode(t *testing.T) {
	ts, root := twoNamespaces(t)
	agentTok := ts.clientToken("agent", `node { policy = "write" }`, `namespace "*" { policy = "read" }`)
	victim := ts.store.Snapshot().AllocsByJob("default", "web-default")[0]
	update := dumpJSON(structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{ID: victim.ID, ClientStatus: structs.AllocClientStatusFailed}}})
	for _, tc := range []struct{ method, path, body string }{
		{"PUT", "/v1/node/" + victim.NodeID + "/heartbeat", "{}"},
		{"PUT", "/v1/allocations/update", update},
	} {
		if code, body := ts.doToken(tc.method, tc.path, agentTok, strings.NewReader(tc.body), nil); code != http.StatusForbidden {
			t.Errorf("%s %s with a node write token: %d %s, want 403", tc.method, tc.path, code, body)
		}
		// Another node's secret with the token does not do it either.
		other := fakeNode("b", "dc1", "raw_exec")
		if code, body := ts.doToken("PUT", "/v1/node/register", root, strings.NewReader(dumpJSON(other)), nil); code != http.StatusOK {
			t.Fatalf("register b: %d %s", code, body)
		}
		req, _ := http.NewRequest(tc.method, ts.http.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set(TokenHeader, agentTok)
		req.Header.Set(NodeSecretHeader, nodeSecret(other.ID))
		if code, body := ts.send(req, nil); code != http.StatusForbidden {
			t.Errorf("%s %s as node b with a node write token: %d %s, want 403", tc.method, tc.path, code, body)
		}
	}
	if a := ts.store.Snapshot().Alloc(victim.ID); a.ClientStatus == structs.AllocClientStatusFailed {
		t.Fatal("another node's allocation was marked failed")
	}
	// Its own secret still works.
	ts.mustDoAsNode(victim.NodeID, "PUT", "/v1/node/"+victim.NodeID+"/heartbeat", struct{}{}, nil)
}

// TestRouteTricksReachNothingUnchecked sends paths and methods that might
// slip past a route's check (double slashes, dot segments, escapes,
// trailing slashes, lowercase and other methods, namespace tricks)
// without a token: none answers with data.
func TestRouteTricksReachNothingUnchecked(t *testing.T) {
	ts, _ := twoNamespaces(t)
	alloc := ts.store.Snapshot().AllocsByJob("prod", "web-prod")[0]
	tricks := []struct{ method, path string }{
		{"GET", "/v1//jobs"},
		{"GET", "/v1/jobs/"},
		{"GET", "/v1/./jobs"},
		{"GET", "/v1/status/../jobs"},
		{"GET", "/v1/status/%2e%2e/jobs"},
		{"GET", "/v1/%6aobs"},
		{"GET", "/V1/jobs"},
		{"get", "/v1/jobs"},
		{"HEAD", "/v1/jobs"},
		{"OPTIONS", "/v1/jobs"},
		{"GET", "/v1/jobs?namespace="},
		{"GET", "/v1/jobs?namespace=*"},
		{"GET", "/v1/jobs?namespace=.."},
		{"GET", "/v1/jobs?namespace=prod&namespace=default"},
		{"GET", "/v1/allocations?namespace=*"},
		{"GET", "/v1/allocation/" + alloc.ID},
		{"GET", "/v1/allocation/" + alloc.ID + "?namespace=default"},
		{"GET", "/v1/client/fs/logs/" + alloc.ID + "?namespace=default"},
		{"GET", "/v1/client/allocation/" + alloc.ID + "/stats"},
		{"GET", "/v1/node/" + alloc.NodeID},
		{"GET", "/v1/services/node/" + alloc.NodeID},
		{"GET", "/v1/acl/tokens"},
		{"GET", "/v1/acl/policy/anonymous"},
		{"GET", "/v1/status/leader/../../jobs"},
	}
	for _, tc := range tricks {
		req, err := http.NewRequest(tc.method, ts.http.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		buf := new(strings.Builder)
		_, _ = io.Copy(buf, resp.Body)
		resp.Body.Close()
		body := buf.String()
		if (resp.StatusCode >= 200 && resp.StatusCode < 300 && body != "" && body != "null" && body != "[]" && !strings.Contains(tc.path, "anonymous")) ||
			strings.Contains(body, "web-") || strings.Contains(body, alloc.NodeID) {
			t.Errorf("%s %s without a token: %d %s", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}

// TestNodeReadDoesNotReadEveryNamespace: node read shows a node's
// allocations and instances only in the namespaces the token reads (the
// allocations carry their jobs); the node itself sees all of its own.
func TestNodeReadDoesNotReadEveryNamespace(t *testing.T) {
	ts, _ := twoNamespaces(t)
	alloc := ts.store.Snapshot().AllocsByJob("prod", "web-prod")[0]
	reg := &structs.ServiceRegistration{ID: "task-prod", ServiceName: "task-prod", Namespace: "prod", NodeID: alloc.NodeID,
		AllocID: alloc.ID, Address: "10.0.0.2", Port: 80}
	if _, err := ts.store.UpsertServiceRegistrations(t.Context(), []*structs.ServiceRegistration{reg}); err != nil {
		t.Fatal(err)
	}
	reader := ts.clientToken("readonly", `namespace "default" { policy = "read" }`, `node { policy = "read" }`)
	for _, path := range []string{"/v1/node/" + alloc.NodeID + "/allocations", "/v1/services/node/" + alloc.NodeID} {
		code, body := ts.doToken("GET", path, reader, nil, nil)
		if code != http.StatusOK || strings.Contains(body, "prod") {
			t.Errorf("GET %s with node read and default read: %d %s, want nothing of prod", path, code, body)
		}
		code, body = ts.doAsNode(alloc.NodeID, "GET", path, nil, nil)
		if code != http.StatusOK || !strings.Contains(body, "prod") {
			t.Errorf("GET %s as the node itself: %d %s, want its prod objects", path, code, body)
		}
	}
	if _, body := ts.doToken("GET", "/v1/node/"+alloc.NodeID+"/allocations", reader, nil, nil); !strings.Contains(body, "web-default") {
		t.Errorf("the default allocation is missing: %s", body)
	}
}

// TestNodeRegistersOnlyItsAllocsServices: a node registers without a
// token the instances of its own allocations, but only under a name the
// allocation's job declares and in the allocation's namespace: it cannot
// put its address in another job's service pool through one of its own
// allocations.
func TestNodeRegistersOnlyItsAllocsServices(t *testing.T) {
	ts, root := aclServer(t)
	n := fakeNode("a", "dc1", "raw_exec")
	if code, body := ts.doToken("PUT", "/v1/node/register", root, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
		t.Fatalf("register node: %d %s", code, body)
	}
	job := testJob("api", 1, "raw_exec")
	job.TaskGroups[0].Services = []*structs.Service{{Name: "api", PortLabel: "http", Provider: "nomad"}}
	if code, body := ts.doToken("PUT", "/v1/jobs", root, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusOK {
		t.Fatalf("register job: %d %s", code, body)
	}
	victim := testJob("bank", 1, "raw_exec")
	victim.TaskGroups[0].Services = []*structs.Service{{Name: "bank", PortLabel: "http", Provider: "nomad"}}
	if code, body := ts.doToken("PUT", "/v1/jobs", root, strings.NewReader(dumpJSON(map[string]any{"Job": victim})), nil); code != http.StatusOK {
		t.Fatalf("register victim: %d %s", code, body)
	}
	ts.waitFor("an allocation of api", func() bool { return len(ts.store.Snapshot().AllocsByJob("default", "api")) > 0 })
	alloc := ts.store.Snapshot().AllocsByJob("default", "api")[0]
	mk := func(id, name, ns string) *structs.ServiceRegistration {
		return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: ns, NodeID: n.ID, JobID: "api",
			AllocID: alloc.ID, Address: "127.0.0.1", Port: allocHostPort(t, alloc)}
	}
	for _, reg := range []*structs.ServiceRegistration{mk("steal-1", "bank", "default"), mk("steal-2", "api", "prod")} {
		code, body := ts.doAsNode(n.ID, "PUT", "/v1/services/register", structs.ServiceRegisterRequest{Services: []*structs.ServiceRegistration{reg}}, nil)
		if code != http.StatusForbidden {
			t.Errorf("node registers %q in %q for its api allocation: %d %s, want 403", reg.ServiceName, reg.Namespace, code, body)
		}
	}
	reg := mk("own", "api", "default")
	ts.mustDoAsNode(n.ID, "PUT", "/v1/services/register", structs.ServiceRegisterRequest{Services: []*structs.ServiceRegistration{reg}}, nil)
}

// TestNodeIdentityEdges: a batch mixing a node's own allocation with
// another node's is refused whole; a node secret shorter than 16
// characters is refused; concurrent bootstraps make exactly one token.
func TestNodeIdentityEdges(t *testing.T) {
	ts := newTestServer(t, nil)
	a := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.waitEval(ts.register(testJob("one", 1, "raw_exec")).EvalID)
	ts.mustDo("PUT", "/v1/node/"+a.ID+"/eligibility", map[string]string{"Eligibility": structs.NodeSchedulingIneligible}, nil)
	b := fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(b)
	ts.waitEval(ts.register(testJob("two", 1, "raw_exec")).EvalID)
	mine, theirs := ts.liveAllocs("one")[0], ts.liveAllocs("two")[0]
	if mine.NodeID != a.ID || theirs.NodeID != b.ID {
		t.Fatalf("placement: one on %s, two on %s", mine.NodeID, theirs.NodeID)
	}
	upd := structs.AllocUpdateRequest{Alloc: []*structs.Allocation{
		{ID: mine.ID, ClientStatus: structs.AllocClientStatusFailed},
		{ID: theirs.ID, ClientStatus: structs.AllocClientStatusFailed},
	}}
	if code, body := ts.doAsNode(a.ID, "PUT", "/v1/allocations/update", upd, nil); code != http.StatusForbidden {
		t.Fatalf("a mixed batch: %d %s, want 403", code, body)
	}
	snap := ts.store.Snapshot()
	if snap.Alloc(mine.ID).ClientStatus == structs.AllocClientStatusFailed || snap.Alloc(theirs.ID).ClientStatus == structs.AllocClientStatusFailed {
		t.Fatal("a refused batch changed an allocation")
	}

	short := fakeNode("c", "dc1", "raw_exec")
	short.SecretID = "too-short"
	if code, body := ts.do("PUT", "/v1/node/register", short, nil); code != http.StatusBadRequest || !strings.Contains(body, "16") {
		t.Fatalf("a short node secret: %d %s, want 400", code, body)
	}

	acls := newTestServer(t, func(c *Config) { c.ACLEnabled = true })
	codes := make(chan int, 8)
	for range 8 {
		go func() {
			code, _ := acls.doToken("POST", "/v1/acl/bootstrap", "", nil, nil)
			codes <- code
		}()
	}
	won := 0
	for range 8 {
		if <-codes == http.StatusOK {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent bootstraps succeeded, want 1", won)
	}
	if n := len(acls.store.Snapshot().ACLTokens()); n != 1 {
		t.Fatalf("%d tokens after concurrent bootstraps, want 1", n)
	}
}

// TestACLBootstrapReset: a second bootstrap is refused naming the reset
// index; with that index in the reset file it makes a new management
// token once; a wrong or stale index is refused.
func TestACLBootstrapReset(t *testing.T) {
	resetFile := filepath.Join(t.TempDir(), "acl-bootstrap-reset")
	ts := newTestServer(t, func(c *Config) { c.ACLEnabled = true; c.ACLBootstrapResetFile = resetFile })
	if code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil); code != http.StatusOK {
		t.Fatalf("bootstrap: %d %s", code, body)
	}
	cur := ts.store.Snapshot().ACLBootstrapIndex()
	code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil)
	if code != http.StatusBadRequest || !strings.Contains(body, fmt.Sprintf("reset index: %d", cur)) {
		t.Fatalf("second bootstrap: %d %s, want 400 naming reset index %d", code, body, cur)
	}
	if err := os.WriteFile(resetFile, []byte(strconv.FormatUint(cur+7, 10)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil); code != http.StatusBadRequest {
		t.Fatalf("bootstrap with a wrong reset index: %d %s", code, body)
	}
	if err := os.WriteFile(resetFile, []byte(strconv.FormatUint(cur, 10)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tok structs.ACLToken
	if code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, &tok); code != http.StatusOK || tok.Type != structs.ACLManagementToken {
		t.Fatalf("bootstrap with the reset index: %d %s", code, body)
	}
	if code, body := ts.doToken("GET", "/v1/acl/tokens", tok.SecretID, nil, nil); code != http.StatusOK {
		t.Fatalf("the new management token: %d %s", code, body)
	}
	if code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil); code != http.StatusBadRequest {
		t.Fatalf("a reset index used twice: %d %s", code, body)
	}
}

// TestJobNamespaceNames: a job cannot be registered in a namespace named
// like a wildcard or a path, through ?namespace or its body.
func TestJobNamespaceNames(t *testing.T) {
	ts, root := aclServer(t)
	for _, ns := range []string{"*", "prod-*", "..", "a/b", "a b", strings.Repeat("n", 129)} {
		job := testJob("odd", 1, "raw_exec")
		if code, body := ts.doToken("PUT", "/v1/jobs?namespace="+url.QueryEscape(ns), root, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusBadRequest || !strings.Contains(body, "Namespace") {
			t.Errorf("?namespace=%.20q: %d %s, want 400", ns, code, body)
		}
		job.Namespace = ns
		if code, body := ts.doToken("PUT", "/v1/jobs", root, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusBadRequest || !strings.Contains(body, "Namespace") {
			t.Errorf("body namespace %.20q: %d %s, want 400", ns, code, body)
		}
	}
	if n := len(ts.store.Snapshot().Jobs("*")); n != 0 {
		t.Fatalf("%d jobs in namespace *", n)
	}
	job := testJob("fine", 1, "raw_exec")
	job.Namespace = "team-a"
	if code, body := ts.doToken("PUT", "/v1/jobs?namespace=team-a", root, strings.NewReader(dumpJSON(map[string]any{"Job": job})), nil); code != http.StatusOK {
		t.Fatalf("namespace team-a: %d %s", code, body)
	}
}
