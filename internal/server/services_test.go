package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// testReg is a registration of service name on node, with checks of the
// given statuses.
func testReg(id, name, nodeID string, statuses ...string) *structs.ServiceRegistration {
	r := &structs.ServiceRegistration{
		ID: id, ServiceName: name, NodeID: nodeID, Datacenter: "dc1", JobID: "web",
		AllocID: "alloc-" + id, Tags: []string{"v1", name}, Address: "10.0.0.1", Port: 8080,
	}
	for i, st := range statuses {
		r.Checks = append(r.Checks, &structs.CheckStatus{Name: "c" + strconv.Itoa(i), Type: "tcp", Status: st})
	}
	return r
}

func (ts *testServer) registerServices(regs ...*structs.ServiceRegistration) uint64 {
	ts.t.Helper()
	var resp serviceWriteResponse
	ts.mustDo("PUT", "/v1/services/register", &structs.ServiceRegisterRequest{Services: regs}, &resp)
	return resp.Index
}

func TestServicesRegisterListGet(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerServices(
		testReg("a1", "api", "n1", structs.HealthPassing),
		testReg("a2", "api", "n2", structs.HealthCritical),
		testReg("a3", "api", "n2"),
		testReg("d1", "db", "n1", structs.HealthWarning),
	)
	other := testReg("o1", "api", "n1")
	other.Namespace = "prod"
	ts.registerServices(other)

	var list []*structs.ServiceRegistrationListStub
	ts.mustDo("GET", "/v1/services", nil, &list)
	if len(list) != 1 || list[0].Namespace != "default" || len(list[0].Services) != 2 ||
		list[0].Services[0].ServiceName != "api" || strings.Join(list[0].Services[0].Tags, ",") != "api,v1" {
		t.Fatalf("list: %s", dumpJSON(list))
	}
	ts.mustDo("GET", "/v1/services?namespace=*", nil, &list)
	if len(list) != 2 || list[1].Namespace != "prod" {
		t.Fatalf("list of every namespace: %s", dumpJSON(list))
	}

	tests := []struct {
		path string
		want []string
	}{
		{"/v1/service/api", []string{"a1", "a2", "a3"}},
		{"/v1/service/api?passing=true", []string{"a1", "a3"}},
		{"/v1/service/api?passing", []string{"a1", "a3"}},
		{"/v1/service/db?passing=true", nil},
		{"/v1/service/api?namespace=prod", []string{"o1"}},
		{"/v1/service/nope", nil},
		{"/v1/services/node/n2", []string{"a2", "a3"}},
		{"/v1/services/node/unknown", nil},
		{"/v1/services/instances", []string{"a1", "a2", "a3", "d1"}},
		{"/v1/services/instances?namespace=*", []string{"a1", "a2", "a3", "o1", "d1"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			var got []*structs.ServiceRegistration
			code, raw := ts.do("GET", tc.path, nil, &got)
			if code != http.StatusOK || !strings.HasPrefix(raw, "[") {
				t.Fatalf("%d %s", code, raw)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("IDs %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestServicesRegisterDefaultsAndCaps(t *testing.T) {
	ts := newTestServer(t, nil)
	r := testReg("a1", "api", "n1", structs.HealthPassing)
	r.Checks[0].ID = ""
	r.Checks[0].Output = strings.Repeat("é", 3000) // 6000 bytes
	ts.registerServices(r)
	got := ts.store.Snapshot().ServiceRegistration("a1")
	if got == nil {
		t.Fatal("registration not stored")
	}
	if got.Namespace != "default" || got.Checks[0].ID != "c0" {
		t.Errorf("defaults: namespace %q, check ID %q", got.Namespace, got.Checks[0].ID)
	}
	if out := got.Checks[0].Output; len(out) > maxCheckOutput || len(out) < maxCheckOutput-1 || !strings.HasSuffix(out, "é") {
		t.Errorf("output of %d bytes, want at most %d and whole characters", len(out), maxCheckOutput)
	}
	if got.CreateIndex == 0 || got.ModifyIndex == 0 {
		t.Errorf("indexes not set: %d %d", got.CreateIndex, got.ModifyIndex)
	}
}

func TestServicesRegisterBadInput(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerServices(testReg("keep", "api", "n1"))
	big := `{"Services":[{"ID":"x","ServiceName":"y","Address":"` + strings.Repeat("a", maxBodyBytes) + `"}]}`
	tests := []struct {
		name string
		body string
		code int
		want []string
	}{
		{"empty body", "", 400, []string{"empty"}},
		{"syntax", `{"Services":[`, 400, []string{"invalid JSON"}},
		{"wrong type", `{"Services":[{"ID":"x","Port":"80"}]}`, 400, []string{"Services.Port"}},
		{"missing fields", `{"Services":[{"ID":"a","ServiceName":"s"},{"ID":"b","ServiceName":"s"},{"Port":70000}]}`, 400,
			[]string{"Services[2].ID: missing", "Services[2].ServiceName: missing", "Services[2].Port: 70000"}},
		{"null entry", `{"Services":[null]}`, 400, []string{"Services[0]: null"}},
		{"duplicate IDs", `{"Services":[{"ID":"a","ServiceName":"s"},{"ID":"a","ServiceName":"s"}]}`, 400,
			[]string{`Services[1].ID: "a" repeats Services[0].ID`}},
		{"bad check", `{"Services":[{"ID":"a","ServiceName":"s","Checks":[{"Name":"c","Status":"ok"},{"Status":"passing"}]}]}`, 400,
			[]string{`Services[0].Checks[0].Status: "ok"`, "Services[0].Checks[1].ID: missing"}},
		{"duplicate checks", `{"Services":[{"ID":"a","ServiceName":"s","Checks":[{"ID":"c","Status":"passing"},{"Name":"c","Status":"passing"}]}]}`, 400,
			[]string{`Services[0].Checks[1].ID: "c" repeats`}},
		{"too many tags", `{"Services":[{"ID":"a","ServiceName":"s","Tags":[` + strings.Repeat(`"t",`, 256) + `"t"]}]}`, 400,
			[]string{"Services[0].Tags: 257 tags are over the limit of 256"}},
		{"long tag", `{"Services":[{"ID":"a","ServiceName":"s","Tags":["` + strings.Repeat("t", 513) + `"]}]}`, 400,
			[]string{"Services[0].Tags[0]: a tag of 513 bytes is over the limit of 512"}},
		{"too many meta keys", `{"Services":[{"ID":"a","ServiceName":"s","Meta":{` + metaEntries(65) + `}}]}`, 400,
			[]string{"Services[0].Meta: 65 keys are over the limit of 64"}},
		{"long meta key", `{"Services":[{"ID":"a","ServiceName":"s","Meta":{"` + strings.Repeat("k", 129) + `":"v"}}]}`, 400,
			[]string{"Services[0].Meta: a key of 129 bytes is over the limit of 128"}},
		{"long meta value", `{"Services":[{"ID":"a","ServiceName":"s","Meta":{"k":"` + strings.Repeat("v", 513) + `"}}]}`, 400,
			[]string{"Services[0].Meta.k: a value of 513 bytes is over the limit of 512"}},
		{"too large", big, 413, []string{"larger than"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, raw := ts.do("PUT", "/v1/services/register", tc.body, nil)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, raw)
			}
			for _, w := range tc.want {
				if !strings.Contains(raw, w) {
					t.Errorf("error lacks %q: %s", w, raw)
				}
			}
		})
	}
	regs := ts.store.Snapshot().ServiceRegistrations()
	if len(regs) != 1 || regs[0].ID != "keep" {
		t.Errorf("bad requests changed the catalog: %s", dumpJSON(regs))
	}
}

func TestServicesDelete(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerServices(testReg("a1", "api", "n1"), testReg("a2", "api", "n1"), testReg("a3", "api", "n1"))
	tests := []struct {
		method, path string
		body         any
		code         int
	}{
		{"DELETE", "/v1/service/api/unknown", nil, 404},
		{"DELETE", "/v1/service/db/a1", nil, 404},
		{"DELETE", "/v1/service/api/a1?namespace=prod", nil, 404},
		{"DELETE", "/v1/service/api/a1", nil, 200},
		{"DELETE", "/v1/service/api/a1", nil, 404},
		{"PUT", "/v1/services/deregister", &structs.ServiceDeregisterRequest{IDs: []string{"a2", "gone"}}, 200},
		{"PUT", "/v1/services/deregister", `{"IDs":["a3",""]}`, 400},
		{"PUT", "/v1/services/deregister", `{"IDs":"a3"}`, 400},
	}
	for _, tc := range tests {
		if code, raw := ts.do(tc.method, tc.path, tc.body, nil); code != tc.code {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, code, tc.code, raw)
		}
	}
	regs := ts.store.Snapshot().ServiceRegistrations()
	if len(regs) != 1 || regs[0].ID != "a3" {
		t.Errorf("left: %s", dumpJSON(regs))
	}
}

func TestServicesBlockingQueryWakesOnChange(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerServices(testReg("a1", "api", "n1", structs.HealthCritical))
	resp, err := http.Get(ts.http.URL + "/v1/service/api?passing=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Nomad-Index")
	type answer struct {
		regs []*structs.ServiceRegistration
	}
	done := make(chan answer, 1)
	go func() {
		var regs []*structs.ServiceRegistration
		code, _ := ts.do("GET", "/v1/service/api?passing=true&wait=30s&index="+index, nil, &regs)
		if code != http.StatusOK {
			regs = nil
		}
		done <- answer{regs}
	}()
	select {
	case a := <-done:
		t.Fatalf("blocking query returned before any change: %v", a.regs)
	case <-time.After(50 * time.Millisecond):
	}
	// Re-registering the same content writes nothing and must not wake it.
	ts.registerServices(testReg("a1", "api", "n1", structs.HealthCritical))
	ts.registerServices(testReg("a1", "api", "n1", structs.HealthPassing))
	select {
	case a := <-done:
		if len(a.regs) != 1 || a.regs[0].Health() != structs.HealthPassing {
			t.Fatalf("woke with %s", dumpJSON(a.regs))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query did not wake on a health change")
	}
}

func TestNodeLossDeletesServiceRegistrations(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.MinHeartbeatTTL, c.HeartbeatGrace = 50*time.Millisecond, 50*time.Millisecond
	})
	a := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.registerServices(testReg("x1", "api", "other-node"))
	ts.mustDoAsNode(a.ID, "PUT", "/v1/services/register", &structs.ServiceRegisterRequest{
		Services: []*structs.ServiceRegistration{testReg("a1", "api", a.ID)}}, nil)
	ts.waitFor("node a down", func() bool { return ts.store.Snapshot().Node(a.ID).Status == structs.NodeStatusDown })
	ts.waitFor("node a's registrations gone", func() bool {
		return len(ts.store.Snapshot().ServiceRegistrationsByNode(a.ID)) == 0
	})
	if ts.store.Snapshot().ServiceRegistration("x1") == nil {
		t.Error("another node's registration was removed")
	}
}

func TestJobPurgeDeletesServiceRegistrations(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.waitEval(ts.register(testJob("web", 1, "raw_exec")).EvalID)
	other := testReg("o1", "db", "n1")
	other.JobID = "db"
	ts.registerServices(testReg("w1", "web", "n1"), other)
	ts.mustDo("DELETE", "/v1/job/web", nil, nil)
	if ts.store.Snapshot().ServiceRegistration("w1") == nil {
		t.Fatal("stopping (not purging) a job removed its registrations; its client does that")
	}
	ts.mustDo("DELETE", "/v1/job/web?purge=true", nil, nil)
	snap := ts.store.Snapshot()
	if snap.ServiceRegistration("w1") != nil || snap.ServiceRegistration("o1") == nil {
		t.Errorf("after purge: %s", dumpJSON(snap.ServiceRegistrations()))
	}
}

func dumpJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNewLeaderSweepsDownNodesRegistrations(t *testing.T) {
	down := fakeNode("down", "dc1", "raw_exec")
	down.Status = structs.NodeStatusDown
	ts := newTestServer(t, func(c *Config) {
		ctx := context.Background()
		if _, err := c.Store.UpsertNode(ctx, down); err != nil {
			t.Fatal(err)
		}
		regs := []*structs.ServiceRegistration{testReg("d1", "api", down.ID), testReg("x1", "api", "elsewhere")}
		for _, r := range regs {
			r.Namespace = "default"
		}
		if _, err := c.Store.UpsertServiceRegistrations(ctx, regs); err != nil {
			t.Fatal(err)
		}
	})
	ts.waitFor("the down node's registrations gone", func() bool {
		return ts.store.Snapshot().ServiceRegistration("d1") == nil
	})
	if ts.store.Snapshot().ServiceRegistration("x1") == nil {
		t.Error("a live node's registration was removed")
	}
}

// metaEntries is n meta entries of a JSON object, without braces.
func metaEntries(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	return strings.Join(parts, ",")
}
