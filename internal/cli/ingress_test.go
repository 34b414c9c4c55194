package cli

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/dashboard"
)

type staticConfig struct{ cfg *config.Config }

func (s staticConfig) Current() *config.Config { return s.cfg }

func ingressDashboard(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := &config.Config{
		Routers: map[string]*config.Router{
			"hello":  {Name: "hello", Rule: "Host(`hello.minipot`)", Service: "hello", Status: "enabled", Provider: "catalog"},
			"broken": {Name: "broken", Rule: "Host(", Service: "x", Status: "disabled", Err: []string{"rule: 1:6: unexpected end of rule"}, Provider: "catalog"},
		},
		Services: map[string]*config.Service{
			"hello": {Name: "hello", Status: "enabled", Provider: "catalog", Servers: []*config.Server{
				{URL: "http://127.0.0.1:1", Health: "passing"}, {URL: "http://127.0.0.1:2", Health: "passing"}}},
		},
	}
	stats := func() dashboard.Stats {
		return dashboard.Stats{Services: map[string]dashboard.ServiceStats{"hello": {Servers: map[string]dashboard.ServerStats{
			"http://127.0.0.1:1": {Up: true}, "http://127.0.0.1:2": {Up: false}}}}}
	}
	srv := httptest.NewServer(dashboard.New(dashboard.Options{Source: staticConfig{cfg}, Stats: stats}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIngressRoutes(t *testing.T) {
	srv := ingressDashboard(t)
	tests := []struct {
		name string
		args []string
		env  string
		want []string
	}{
		{"flag", []string{"ingress", "routes", "-dashboard", srv.URL}, "",
			[]string{"Router", "hello@catalog", "Host(`hello.minipot`)", "1/2", "enabled",
				"broken@catalog", "disabled: rule: 1:6: unexpected end of rule"}},
		{"env, host:port", []string{"ingress", "routes"}, strings.TrimPrefix(srv.URL, "http://"),
			[]string{"hello@catalog"}},
		{"json", []string{"ingress", "routes", "-json", "-dashboard", srv.URL}, "", []string{`"name": "hello@catalog"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WHARF_INGRESS_DASHBOARD", tt.env)
			var out, errOut bytes.Buffer
			if code := Run(tt.args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestIngressRoutesJSONIsTheAPI(t *testing.T) {
	srv := ingressDashboard(t)
	var out, errOut bytes.Buffer
	if code := Run([]string{"ingress", "routes", "-json", "-dashboard", srv.URL}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var routers []dashboard.RouterInfo
	if err := json.Unmarshal(out.Bytes(), &routers); err != nil || len(routers) != 2 {
		t.Fatalf("json: %v %v", err, routers)
	}
}

func TestIngressRoutesUnreachable(t *testing.T) {
	srv := httptest.NewServer(nil)
	addr := srv.URL
	srv.Close()
	var out, errOut bytes.Buffer
	if code := Run([]string{"ingress", "routes", "-dashboard", addr}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "ingress dashboard") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
