package consulapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestRegisterDeregister(t *testing.T) {
	f := newFixture(t)
	body := `{"ID":"db1","Name":"db","Tags":["primary"],"Port":5432,"Address":"10.1.1.1","Meta":{"v":"15"},
		"Check":{"TTL":"30s","Status":"passing"}}`
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", body); code != 200 {
		t.Fatalf("register: %d %s", code, out)
	}
	r := f.store.Snapshot().ServiceRegistration("db1")
	if r == nil || r.NodeID != "node-1" || r.AllocID != "" || r.Namespace != "default" || r.Port != 5432 ||
		len(r.Checks) != 1 || r.Checks[0].ID != "service:db1" || r.Checks[0].Status != "passing" || r.Checks[0].Type != "ttl" {
		t.Fatalf("stored = %+v", r)
	}
	var services map[string]agentService
	f.get(t, "/v1/agent/services", &services)
	if services["db1"].Service != "db" || services["db1"].Meta["v"] != "15" {
		t.Fatalf("agent services = %+v", services)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/deregister/db1", ""); code != 200 {
		t.Fatalf("deregister: %d %s", code, out)
	}
	if f.store.Snapshot().ServiceRegistration("db1") != nil {
		t.Fatal("still registered")
	}
	if code, _, _ := f.do(t, "PUT", "/v1/agent/service/deregister/db1", ""); code != 404 {
		t.Fatalf("deregister unknown: %d", code)
	}
}

// TestDuplicateIDs pins the behaviour of duplicate service IDs through
// the agent API: the same ID from this agent replaces the earlier
// registration (as Consul's agent, even under another name), keeping
// check results; an ID owned by a task or another node is refused.
func TestDuplicateIDs(t *testing.T) {
	f := newFixture(t)
	put := func(body string) (int, string) {
		code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", body)
		return code, out
	}
	if code, out := put(`{"ID":"x","Name":"db","Check":{"TTL":"1m"}}`); code != 200 {
		t.Fatal(code, out)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/check/pass/service:x?note=ok", ""); code != 200 {
		t.Fatal(code, out)
	}
	if code, out := put(`{"ID":"x","Name":"cache","Check":{"TTL":"1m"}}`); code != 200 {
		t.Fatal(code, out)
	}
	var services map[string][]string
	f.get(t, "/v1/catalog/services", &services)
	if _, ok := services["db"]; ok || len(services) != 1 {
		t.Fatalf("services after replace = %v", services)
	}
	r := f.store.Snapshot().ServiceRegistration("x")
	if r.ServiceName != "cache" || r.Checks[0].Status != "passing" || r.Checks[0].Output != "ok" {
		t.Fatalf("replaced = %+v %+v", r, r.Checks[0])
	}
	f.put(t, reg("task1", "web", "node-1", "", 1, nil), &structs.ServiceRegistration{ID: "other", ServiceName: "o", NodeID: "node-2"})
	for _, id := range []string{"task1", "other"} {
		if code, out := put(`{"ID":"` + id + `","Name":"db"}`); code != 409 {
			t.Fatalf("ID %s: %d %s", id, code, out)
		}
	}
	if code, _, _ := f.do(t, "PUT", "/v1/agent/service/deregister/task1", ""); code != 400 {
		t.Fatalf("deregister a task's service: %d", code)
	}
}

func TestRegisterBadInput(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ body, want string }{
		{``, "empty body"},
		{`{"Name":"db","Port":"80"}`, "field Port"},
		{`{"Name":"db","Tags":"x"}`, "field Tags"},
		{`{"Name":"db","Check":{"TTL":5}}`, "field Check.TTL"},
		{`{"Name":`, "invalid JSON"},
		{`{"ID":"x"}`, "Name"},
		{`{"Name":"db","Port":70000}`, "Port"},
		{`{"Name":"db","Check":{"HTTP":"http://x"}}`, "Check.HTTP"},
		{`{"Name":"db","Checks":[{"TTL":"1s"},{"TCP":"x:1"}]}`, "Checks[1].TCP"},
		{`{"Name":"db","Check":{}}`, "Check.TTL"},
		{`{"Name":"db","Check":{"TTL":"-1s"}}`, "Check.TTL"},
		{`{"Name":"db","Check":{"TTL":"1s","Status":"ok"}}`, "Check.Status"},
		{`{"Name":"db","Checks":[{"TTL":"1s","CheckID":"a"},{"TTL":"1s","CheckID":"a"}]}`, "used twice"},
		{`{"Name":"db","Kind":"connect-proxy"}`, "Kind"},
		{`{"Name":"db","Checks":[` + strings.Repeat(`{"TTL":"1s"},`, 100) + `{"TTL":"1s"}]}`, "101 checks are over the limit of 100"},
		{`{"Name":"db","Check":{"TTL":"1s"},"Checks":[` + strings.Repeat(`{"TTL":"1s"},`, 79_999) + `{"TTL":"1s"}]}`, "80001 checks are over the limit"},
		{`{"ID":"_wharf-task-x","Name":"db"}`, "reserved"},
		{`{"Name":"db","Tags":[` + strings.Repeat(`"t",`, 256) + `"t"]}`, "Tags: 257 tags are over the limit of 256"},
		{`{"Name":"db","Tags":[` + strings.Repeat(`"t",`, 239_999) + `"t"]}`, "240000 tags are over the limit"},
		{`{"Name":"db","Tags":["a","` + strings.Repeat("x", 513) + `"]}`, "Tags[1]: a tag of 513 bytes is over the limit of 512"},
		{`{"Name":"db","Meta":{` + metaJSON(65) + `}}`, "Meta: 65 keys are over the limit of 64"},
		{`{"Name":"db","Meta":{"` + strings.Repeat("k", 129) + `":"v"}}`, "a key of 129 bytes is over the limit of 128"},
		{`{"Name":"db","Meta":{"k":"` + strings.Repeat("v", 513) + `"}}`, "Meta.k: a value of 513 bytes is over the limit of 512"},
		{`{"Name":"db","Meta":{"":"v"}}`, "Meta: an empty key"},
		{`[1,2]`, "(body)"},
		{`{"Name":"db","Meta":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`, "limits.json_max_depth"},
		{`{"Name":"db","Check":{"TTL":"1s","Args":` + strings.Repeat("[", 101) + strings.Repeat("]", 101) + `}}`, "limit of 100 levels"},
	}
	for _, c := range cases {
		code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", c.body)
		if code != 400 || !strings.Contains(out, c.want) {
			t.Errorf("%s: %d %q, want 400 naming %q", c.body, code, out, c.want)
		}
	}
	if n := len(f.store.Snapshot().ServiceRegistrations()); n != 0 {
		t.Fatalf("%d registrations stored from bad input", n)
	}
}

func TestCheckUpdates(t *testing.T) {
	f := newFixture(t)
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register",
		`{"Name":"db","Checks":[{"TTL":"1m"},{"TTL":"1m","CheckID":"mine"}]}`); code != 200 {
		t.Fatal(code, out)
	}
	steps := []struct {
		method, path, body, check, status string
	}{
		{"PUT", "/v1/agent/check/pass/service:db:1", "", "service:db:1", "passing"},
		{"PUT", "/v1/agent/check/warn/mine?note=slow", "", "mine", "warning"},
		{"PUT", "/v1/agent/check/fail/mine", "", "mine", "critical"},
		{"PUT", "/v1/agent/check/update/mine", `{"Status":"passing","Output":"fine"}`, "mine", "passing"},
	}
	for _, s := range steps {
		if code, out, _ := f.do(t, s.method, s.path, s.body); code != 200 {
			t.Fatalf("%s: %d %s", s.path, code, out)
		}
		var checks map[string]healthCheck
		f.get(t, "/v1/agent/checks", &checks)
		if checks[s.check].Status != s.status {
			t.Fatalf("after %s: %+v", s.path, checks)
		}
	}
	if code, _, _ := f.do(t, "PUT", "/v1/agent/check/pass/nope", ""); code != 404 {
		t.Fatalf("unknown check: %d", code)
	}
	if code, _, _ := f.do(t, "PUT", "/v1/agent/check/update/mine", `{"Status":"meh"}`); code != 400 {
		t.Fatalf("bad status: %d", code)
	}
}

func TestTTLExpires(t *testing.T) {
	f := newFixture(t)
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register",
		`{"Name":"db","Check":{"TTL":"50ms","Status":"passing"}}`); code != 200 {
		t.Fatal(code, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var idx uint64
	for {
		r := f.store.Snapshot().ServiceRegistration("db")
		if r.Checks[0].Status == "critical" {
			if r.Checks[0].Output != "TTL expired" {
				t.Fatalf("output %q", r.Checks[0].Output)
			}
			return
		}
		var err error
		if idx, err = f.store.WaitForChange(ctx, idx, "services"); err != nil {
			t.Fatal("TTL check did not expire")
		}
	}
}

func TestBlockingQuery(t *testing.T) {
	f := newFixture(t)
	idx := f.put(t, reg("a1", "web", "node-1", "", 1, nil, "critical"))
	var out []serviceEntry
	h := f.get(t, "/v1/health/service/web?passing", &out)
	if len(out) != 0 || h.Get("X-Consul-Index") == "" {
		t.Fatalf("before: %+v %v", out, h)
	}
	done := make(chan string, 1)
	go func() {
		resp, err := http.Get(f.http.URL + "/v1/health/service/web?passing&wait=30s&index=" + h.Get("X-Consul-Index"))
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- string(b)
	}()
	_ = idx
	f.put(t, reg("a1", "web", "node-1", "", 1, nil, "passing"))
	select {
	case body := <-done:
		var after []serviceEntry
		if err := json.Unmarshal([]byte(body), &after); err != nil || len(after) != 1 {
			t.Fatalf("after: %s", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query did not wake")
	}
	// A short wait returns the unchanged answer when nothing happens.
	_, _, h2 := f.do(t, "GET", "/v1/catalog/services?wait=10ms&index=999999", "")
	if h2.Get("X-Consul-Index") == "" {
		t.Fatal("no index after timeout")
	}
}

func TestConfiguredJSONDepth(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Store: st, Datacenter: "dc1", JSONMaxDepth: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for body, want := range map[string]int{
		`{"Name":"db","Meta":{"a":"b"}}`:              200,
		`{"Name":"db","Check":{"Args":[["x"]]}}`:      400,
		`{"Name":"db","Tags":["a"],"Meta":{"b":"c"}}`: 200,
	} {
		req := httptest.NewRequest("PUT", "/v1/agent/service/register", strings.NewReader(body))
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != want || want == 400 && !strings.Contains(rec.Body.String(), "limit of 3 levels") {
			t.Errorf("%s: %d %q, want %d", body, rec.Code, rec.Body.String(), want)
		}
	}
}

// metaJSON is n meta entries, without braces.
func metaJSON(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%q:\"v\"", fmt.Sprint("k", i))
	}
	return strings.Join(parts, ",")
}

func TestRegisterServiceCountBounded(t *testing.T) {
	f := newFixture(t)
	f.srv.maxServices = 3
	for i := range 3 {
		if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", fmt.Sprintf(`{"Name":"s%d"}`, i)); code != 200 {
			t.Fatal(i, code, out)
		}
	}
	code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", `{"Name":"s3"}`)
	if code != 400 || !strings.Contains(out, "already has 3 services registered through the agent API, the limit") {
		t.Fatalf("fourth service: %d %q, want 400 naming the limit", code, out)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", `{"Name":"s1","Port":81}`); code != 200 {
		t.Fatalf("replacing a registration at the limit: %d %q", code, out)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/deregister/s0", ""); code != 200 {
		t.Fatal(code, out)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", `{"Name":"s3"}`); code != 200 {
		t.Fatalf("after a deregistration: %d %q", code, out)
	}
	if n := len(f.store.Snapshot().ServiceRegistrations()); n != 3 {
		t.Fatalf("%d registrations, want 3", n)
	}
}
