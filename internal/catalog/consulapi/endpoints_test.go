package consulapi

import (
	"reflect"
	"sort"
	"testing"
)

func TestCatalogEndpoints(t *testing.T) {
	f := newFixture(t)
	f.put(t, reg("a1", "web", "node-1", "10.0.0.1", 8080, []string{"v1", "http"}, "passing"),
		reg("a2", "web", "node-2", "10.0.0.2", 8080, []string{"v2"}),
		reg("b1", "db", "node-1", "", 5432, nil))

	var services map[string][]string
	h := f.get(t, "/v1/catalog/services", &services)
	want := map[string][]string{"web": {"http", "v1", "v2"}, "db": {}}
	if !reflect.DeepEqual(services, want) {
		t.Fatalf("services = %v, want %v", services, want)
	}
	if h.Get("X-Consul-Index") == "" || h.Get("X-Consul-KnownLeader") != "true" || h.Get("X-Consul-LastContact") == "" {
		t.Fatalf("headers: %v", h)
	}

	var cs []catalogService
	f.get(t, "/v1/catalog/service/web?tag=v1", &cs)
	if len(cs) != 1 || cs[0].ServiceID != "a1" || cs[0].Node != "n1" || cs[0].Address != "10.0.0.1" || cs[0].ServicePort != 8080 {
		t.Fatalf("catalog service web?tag=v1 = %+v", cs)
	}
	f.get(t, "/v1/catalog/service/nope", &cs)
	if len(cs) != 0 {
		t.Fatalf("unknown service: %+v", cs)
	}

	var nodes []node
	f.get(t, "/v1/catalog/nodes", &nodes)
	if len(nodes) != 2 || nodes[0].Node != "n1" || nodes[1].Address != "10.0.0.2" {
		t.Fatalf("nodes = %+v", nodes)
	}
	var cn catalogNode
	f.get(t, "/v1/catalog/node/n1", &cn)
	if cn.Node == nil || len(cn.Services) != 2 || cn.Services["b1"].Port != 5432 {
		t.Fatalf("node n1 = %+v", cn)
	}
}

func TestHealthService(t *testing.T) {
	f := newFixture(t)
	f.put(t, reg("a1", "web", "node-1", "10.0.0.1", 1, []string{"v1"}, "passing"),
		reg("a2", "web", "node-1", "10.0.0.1", 2, []string{"v1", "x"}, "passing", "warning"),
		reg("a3", "web", "node-1", "10.0.0.1", 3, []string{"v1"}, "critical"),
		reg("a4", "web", "node-2", "10.0.0.2", 4, []string{"v1"}),
		reg("a5", "web", "node-1", "10.0.0.1", 5, nil))
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"a1", "a2", "a3", "a4", "a5"}},
		{"?passing", []string{"a1", "a5"}},
		{"?passing=true", []string{"a1", "a5"}},
		{"?passing=false", []string{"a1", "a2", "a3", "a4", "a5"}},
		{"?tag=v1", []string{"a1", "a2", "a3", "a4"}},
		{"?tag=v1&tag=x", []string{"a2"}},
		{"?tag=V1&passing=1", []string{"a1"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var out []serviceEntry
			f.get(t, "/v1/health/service/web"+c.query, &out)
			var ids []string
			for _, e := range out {
				ids = append(ids, e.Service.ID)
			}
			sort.Strings(ids)
			if !reflect.DeepEqual(ids, c.want) {
				t.Fatalf("ids = %v, want %v", ids, c.want)
			}
		})
	}
	var out []serviceEntry
	f.get(t, "/v1/health/service/web?tag=x", &out)
	if len(out[0].Checks) != 3 || out[0].Checks[0].CheckID != "serfHealth" || out[0].Checks[2].Status != "warning" ||
		out[0].Checks[1].ServiceID != "a2" || out[0].Node.Node != "n1" {
		t.Fatalf("entry = %+v", out[0])
	}
	if code, body, _ := f.do(t, "GET", "/v1/health/service/web?passing=maybe", ""); code != 400 {
		t.Fatalf("bad passing: %d %s", code, body)
	}
}

func TestHealthChecksAndState(t *testing.T) {
	f := newFixture(t)
	f.put(t, reg("a1", "web", "node-1", "", 1, nil, "passing", "critical"), reg("b1", "db", "node-1", "", 2, nil, "warning"))
	var checks []healthCheck
	f.get(t, "/v1/health/checks/web", &checks)
	if len(checks) != 2 || checks[0].ServiceName != "web" || checks[0].CheckID != "service:a1:c0" {
		t.Fatalf("checks = %+v", checks)
	}
	cases := map[string]int{"any": 5, "passing": 2, "warning": 1, "critical": 2}
	for state, n := range cases {
		f.get(t, "/v1/health/state/"+state, &checks)
		if len(checks) != n {
			t.Fatalf("state %s: %d checks, want %d: %+v", state, len(checks), n, checks)
		}
	}
	if code, _, _ := f.do(t, "GET", "/v1/health/state/bogus", ""); code != 400 {
		t.Fatalf("bogus state: %d", code)
	}
	f.get(t, "/v1/health/node/n1", &checks)
	if len(checks) != 4 {
		t.Fatalf("node checks: %+v", checks)
	}
}

func TestStatusAndMisc(t *testing.T) {
	f := newFixture(t)
	var leader string
	f.get(t, "/v1/status/leader", &leader)
	if leader != "127.0.0.1:4646" {
		t.Fatalf("leader = %q", leader)
	}
	var dcs []string
	f.get(t, "/v1/catalog/datacenters", &dcs)
	if !reflect.DeepEqual(dcs, []string{"dc1"}) {
		t.Fatalf("dcs = %v", dcs)
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/v1/nope", 404},
		{"POST", "/v1/catalog/services", 405},
		{"GET", "/v1/catalog/services?index=x", 400},
		{"GET", "/v1/catalog/services?wait=forever", 400},
		{"GET", "/v1/catalog/nodes?filter=Node==x", 400},
	} {
		if code, body, _ := f.do(t, c.method, c.path, ""); code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, code, body, c.code)
		}
	}
}
