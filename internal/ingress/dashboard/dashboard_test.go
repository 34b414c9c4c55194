package dashboard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

type fakeSource struct{ cfg *config.Config }

func (f fakeSource) Current() *config.Config { return f.cfg }

var _ Source = fakeSource{}

func testConfig() *config.Config {
	return &config.Config{Index: 7,
		Routers: map[string]*config.Router{
			"hello": {Name: "hello", Rule: "Host(`hello.minipot`)", EntryPoints: []string{"web"}, Service: "hello",
				Status: config.StatusEnabled, Provider: "catalog", Middlewares: []string{"strip"}},
			"broken": {Name: "broken", Rule: "Host(", EntryPoints: []string{"web"}, Service: "bad",
				Status: config.StatusDisabled, Err: []string{"rule: 1:6: unexpected end"}, Provider: "catalog"},
		},
		Services: map[string]*config.Service{
			"hello": {Name: "hello", PassHostHeader: true, Status: config.StatusEnabled, Provider: "catalog", Servers: []*config.Server{
				{URL: "http://127.0.0.1:8001", Weight: 10, Health: "passing", InstanceID: "a"},
				{URL: "http://127.0.0.1:8002", Weight: 1, Health: "warning", InstanceID: "b"},
			}},
			"bad": {Name: "bad", Status: config.StatusEnabled, Provider: "catalog"},
		},
		Middlewares: map[string]*config.Middleware{
			"strip": {Name: "strip", StripPrefix: []string{"/foo"}, Status: config.StatusEnabled, Provider: "catalog"},
		},
	}
}

func testServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	if o.Source == nil {
		o.Source = fakeSource{testConfig()}
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv
}

// getJSON GETs path and decodes the answer into out; it returns the
// status code.
func getJSON(t *testing.T, srv *httptest.Server, path string, out any) int {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s: decode: %v", path, err)
		}
	}
	return res.StatusCode
}

func TestRouters(t *testing.T) {
	srv := testServer(t, Options{Stats: func() Stats {
		return Stats{Routers: map[string]Rate{"hello": {Requests: 12, PerSecond: 3}}}
	}})
	var list []RouterInfo
	if code := getJSON(t, srv, "/api/http/routers", &list); code != 200 || len(list) != 2 {
		t.Fatalf("routers: %d %+v", code, list)
	}
	b, h := list[0], list[1]
	if b.Name != "broken@catalog" || b.Status != "disabled" || len(b.Err) != 1 {
		t.Errorf("broken router = %+v", b)
	}
	if h.Name != "hello@catalog" || h.Rule != "Host(`hello.minipot`)" || h.Service != "hello" || h.Priority != len(h.Rule) ||
		h.Requests != 12 || h.PerSecond != 3 || h.Middlewares[0] != "strip@catalog" || h.EntryPoints[0] != "web" {
		t.Errorf("hello router = %+v", h)
	}
	tests := []struct {
		path string
		code int
	}{
		{"/api/http/routers/hello@catalog", 200},
		{"/api/http/routers/hello", 200},
		{"/api/http/routers/nope@catalog", 404},
	}
	for _, tt := range tests {
		var one RouterInfo
		if code := getJSON(t, srv, tt.path, &one); code != tt.code {
			t.Errorf("%s: %d, want %d", tt.path, code, tt.code)
		}
	}
}

func TestRouterFilters(t *testing.T) {
	srv := testServer(t, Options{})
	tests := []struct {
		query string
		want  int
	}{
		{"", 2}, {"?status=disabled", 1}, {"?status=enabled", 1}, {"?search=hello", 1},
		{"?search=minipot", 1}, {"?per_page=1", 1}, {"?per_page=1&page=2", 1}, {"?per_page=1&page=3", 0},
	}
	for _, tt := range tests {
		var list []RouterInfo
		getJSON(t, srv, "/api/http/routers"+tt.query, &list)
		if len(list) != tt.want {
			t.Errorf("%s: %d routers, want %d", tt.query, len(list), tt.want)
		}
	}
}

func TestServices(t *testing.T) {
	tests := []struct {
		name  string
		stats func() Stats
		want  map[string]string
	}{
		{"without stats every listed server is up", nil,
			map[string]string{"http://127.0.0.1:8001": "UP", "http://127.0.0.1:8002": "UP"}},
		{"passive health from stats", func() Stats {
			return Stats{Services: map[string]ServiceStats{"hello": {Servers: map[string]ServerStats{
				"http://127.0.0.1:8001": {Up: true}, "http://127.0.0.1:8002": {Up: false}}}}}
		}, map[string]string{"http://127.0.0.1:8001": "UP", "http://127.0.0.1:8002": "DOWN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testServer(t, Options{Stats: tt.stats})
			var s ServiceInfo
			if code := getJSON(t, srv, "/api/http/services/hello@catalog", &s); code != 200 {
				t.Fatalf("code %d", code)
			}
			if s.Name != "hello@catalog" || s.Type != "loadbalancer" || len(s.LoadBalancer.Servers) != 2 ||
				s.LoadBalancer.Servers[0].URL != "http://127.0.0.1:8001" || s.UsedBy[0] != "hello@catalog" {
				t.Fatalf("service = %+v", s)
			}
			for url, want := range tt.want {
				if s.ServerStatus[url] != want {
					t.Errorf("serverStatus[%s] = %q, want %q", url, s.ServerStatus[url], want)
				}
			}
		})
	}
}

func TestOverviewMiddlewaresEntryPoints(t *testing.T) {
	srv := testServer(t, Options{EntryPoints: []EntryPoint{{Name: "web", Address: "127.0.0.1:8080"}, {Name: "websecure", Address: ":8443", TLS: true}}})
	var o Overview
	getJSON(t, srv, "/api/overview", &o)
	if o.HTTP.Routers != (Totals{Total: 2, Errors: 1}) || o.HTTP.Services.Total != 2 || o.HTTP.Middlewares.Total != 1 {
		t.Errorf("overview = %+v", o.HTTP)
	}
	var mws []MiddlewareInfo
	getJSON(t, srv, "/api/http/middlewares", &mws)
	if len(mws) != 1 || mws[0].Type != "stripprefix" || mws[0].StripPrefix.Prefixes[0] != "/foo" || mws[0].UsedBy[0] != "hello@catalog" {
		t.Errorf("middlewares = %+v", mws)
	}
	var eps []EntryPointInfo
	getJSON(t, srv, "/api/entrypoints", &eps)
	if len(eps) != 2 || eps[0].Name != "web" || eps[1].HTTP.TLS == nil {
		t.Errorf("entrypoints = %+v", eps)
	}
	if code := getJSON(t, srv, "/api/entrypoints/nope", nil); code != 404 {
		t.Errorf("unknown entry point: %d", code)
	}
}

func TestPageAndMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "wharf_ingress_requests_total 1\n") })
	srv := testServer(t, Options{Metrics: metrics, Source: fakeSource{nil}})
	for path, want := range map[string]string{"/": "<title>wharf ingress</title>", "/metrics": "wharf_ingress_requests_total 1"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q", path, res.StatusCode, body)
		}
	}
	var list []RouterInfo
	if code := getJSON(t, srv, "/api/http/routers", &list); code != 200 || len(list) != 0 {
		t.Errorf("no config yet: %d %v", code, list)
	}
}
