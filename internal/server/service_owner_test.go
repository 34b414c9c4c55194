package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// taskInstance places one allocation of job web and registers its
// service "web" as its node; it returns the registration and the nodes
// (owner first).
func taskInstance(t *testing.T, ts *testServer) (*structs.ServiceRegistration, *structs.Node, *structs.Node) {
	t.Helper()
	a, b := fakeNode("a", "dc1", "raw_exec"), fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.registerNode(b)
	ts.waitEval(ts.register(webServiceJob()).EvalID)
	alloc := ts.liveAllocs("web")[0]
	owner, other := a, b
	if alloc.NodeID == b.ID {
		owner, other = b, a
	}
	reg := &structs.ServiceRegistration{ID: "_wharf-task-" + alloc.ID + "-web", ServiceName: "web", Namespace: "default",
		NodeID: owner.ID, AllocID: alloc.ID, JobID: "web", Address: "127.0.0.1", Port: allocHostPort(t, alloc)}
	ts.mustDoAsNode(owner.ID, "PUT", "/v1/services/register", &structs.ServiceRegisterRequest{Services: []*structs.ServiceRegistration{reg}}, nil)
	return reg, owner, other
}

// webServiceJob is job web declaring its group service "web".
func webServiceJob() *structs.Job {
	j := testJob("web", 1, "raw_exec")
	j.TaskGroups[0].Services = []*structs.Service{{Name: "web", PortLabel: "http", Provider: "nomad"}}
	return j
}

func regBody(regs ...*structs.ServiceRegistration) *structs.ServiceRegisterRequest {
	return &structs.ServiceRegisterRequest{Services: regs}
}

// TestServiceHijackRefused: what a task registered only its node may
// change, and a task's service cannot be joined from outside.
func TestServiceHijackRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	reg, owner, other := taskInstance(t, ts)

	evil := reg.Copy()
	evil.Address = "6.6.6.6"
	joiner := &structs.ServiceRegistration{ID: "evil-1", ServiceName: "web", Address: "6.6.6.6", Port: 80}
	claim := evil.Copy()
	claim.ID = "evil-2"
	tests := []struct {
		name   string
		as     string // node ID whose secret is sent, "" for none
		method string
		path   string
		body   any
		want   string
	}{
		{"anonymous overwrite", "", "PUT", "/v1/services/register", regBody(evil), "belongs to node"},
		{"other node overwrite", other.ID, "PUT", "/v1/services/register", regBody(evil), "belongs to node"},
		{"anonymous join", "", "PUT", "/v1/services/register", regBody(joiner), "belongs to tasks"},
		{"other node join", other.ID, "PUT", "/v1/services/register", regBody(joiner), "belongs to tasks"},
		{"anonymous claims the node", "", "PUT", "/v1/services/register", regBody(claim), "only that node"},
		{"anonymous deregister", "", "PUT", "/v1/services/deregister", &structs.ServiceDeregisterRequest{IDs: []string{reg.ID}}, "only that node"},
		{"other node deregister", other.ID, "PUT", "/v1/services/deregister", &structs.ServiceDeregisterRequest{IDs: []string{reg.ID}}, "only that node"},
	}
	for _, tc := range tests {
		var code int
		var body string
		if tc.as == "" {
			code, body = ts.do(tc.method, tc.path, tc.body, nil)
		} else {
			code, body = ts.doAsNode(tc.as, tc.method, tc.path, tc.body, nil)
		}
		if code != http.StatusForbidden || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want 403 containing %q", tc.name, code, body, tc.want)
		}
	}
	snap := ts.store.Snapshot()
	if got := snap.ServiceRegistration(reg.ID); got == nil || got.Address != "127.0.0.1" {
		t.Fatalf("the task's instance changed: %+v", got)
	}
	if n := len(snap.ServiceRegistrationsByName("default", "web")); n != 1 {
		t.Fatalf("service web has %d instances, want only the task's", n)
	}
	// The owner may change and remove its own instance.
	mine := reg.Copy()
	mine.Tags = []string{"changed"}
	ts.mustDoAsNode(owner.ID, "PUT", "/v1/services/register", regBody(mine), nil)
	ts.mustDoAsNode(owner.ID, "PUT", "/v1/services/deregister", &structs.ServiceDeregisterRequest{IDs: []string{reg.ID}}, nil)
	// External services of other names stay open with ACLs off.
	ts.mustDo("PUT", "/v1/services/register", regBody(&structs.ServiceRegistration{ID: "pg", ServiceName: "postgres", Port: 5432}), nil)
}

// TestServiceJoinNeedsPolicy: with ACLs on, an instance from outside joins
// a task's service only with service write on its name, and still cannot
// overwrite the task's instance.
func TestServiceJoinNeedsPolicy(t *testing.T) {
	ts, root := aclServer(t)
	writer := ts.clientToken("nodes", `node { policy = "write" }`)
	// Nodes register with a node-write token the first time.
	a, b := fakeNode("a", "dc1", "raw_exec"), fakeNode("b", "dc1", "raw_exec")
	for _, n := range []*structs.Node{a, b} {
		if code, body := ts.doToken("PUT", "/v1/node/register", writer, strings.NewReader(dumpJSON(n)), nil); code != http.StatusOK {
			t.Fatalf("register node: %d %s", code, body)
		}
	}
	var resp structs.JobRegisterResponse
	if code, body := ts.doToken("PUT", "/v1/jobs", root, strings.NewReader(dumpJSON(map[string]any{"Job": webServiceJob()})), &resp); code != http.StatusOK {
		t.Fatalf("register job: %d %s", code, body)
	}
	ts.waitEval(resp.EvalID)
	alloc := ts.liveAllocs("web")[0]
	reg := &structs.ServiceRegistration{ID: "task-web", ServiceName: "web", NodeID: alloc.NodeID, AllocID: alloc.ID, Port: 80}
	ts.mustDoAsNode(alloc.NodeID, "PUT", "/v1/services/register", regBody(reg), nil)

	join := dumpJSON(regBody(&structs.ServiceRegistration{ID: "ext-web", ServiceName: "web", Address: "10.9.9.9", Port: 80}))
	other := ts.clientToken("other", `service "db" { policy = "write" }`)
	if code, body := ts.doToken("PUT", "/v1/services/register", other, strings.NewReader(join), nil); code != http.StatusForbidden ||
		!strings.Contains(body, `service "web"`) {
		t.Fatalf("join with a policy on another service: %d %s", code, body)
	}
	web := ts.clientToken("web", `service "web" { policy = "write" }`)
	if code, body := ts.doToken("PUT", "/v1/services/register", web, strings.NewReader(join), nil); code != http.StatusOK {
		t.Fatalf("join with service web write: %d %s", code, body)
	}
	over := reg.Copy()
	over.NodeID, over.AllocID, over.Address = "", "", "6.6.6.6"
	if code, _ := ts.doToken("PUT", "/v1/services/register", root, strings.NewReader(dumpJSON(regBody(over))), nil); code != http.StatusForbidden {
		t.Fatalf("management overwrites a task's instance: %d, want 403", code)
	}
}
