package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/dashboard"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestDashboardGuard: with ACLs on at the servers, the dashboard's API
// needs a token that reads the catalog; its page stays open.
func TestDashboardGuard(t *testing.T) {
	c := fakeACLServers(t)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("data")) })
	h := dashboardGuard(inner, remote.New(remote.Clients(c)))
	tests := []struct {
		path, token string
		want        int
	}{
		{"/", "", http.StatusOK},
		{"/dashboard/", "", http.StatusOK},
		{"/api/http/routers", "", http.StatusForbidden},
		{"/api/http/routers", "wrong", http.StatusForbidden},
		{"/metrics", "node-reader", http.StatusForbidden},
		{"/api/http/routers", "catalog-reader", http.StatusOK},
		{"/metrics", "catalog-reader", http.StatusOK},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s with %q: %d %s, want %d", tc.path, tc.token, rec.Code, rec.Body, tc.want)
		}
	}
}

// fakeACLServers is a server API that knows the tokens "catalog-reader"
// (service_prefix "" read) and "node-reader" (node read), for resolvers.
func fakeACLServers(t *testing.T) *api.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/acl/token/self", func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get(api.TokenHeader) {
		case "catalog-reader":
			_ = json.NewEncoder(w).Encode(&structs.ACLToken{Type: structs.ACLClientToken, Policies: []string{"catalog"}})
		case "node-reader":
			_ = json.NewEncoder(w).Encode(&structs.ACLToken{Type: structs.ACLClientToken, Policies: []string{"nodes"}})
		default:
			http.Error(w, "Permission denied: ACL token not found", http.StatusForbidden)
		}
	})
	mux.HandleFunc("GET /v1/acl/policy/{name}", func(w http.ResponseWriter, r *http.Request) {
		rules := map[string]string{"catalog": `service_prefix "" { policy = "read" }`, "nodes": `node { policy = "read" }`}[r.PathValue("name")]
		if rules == "" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(&structs.ACLPolicy{Name: r.PathValue("name"), Rules: rules})
	})
	servers := httptest.NewServer(mux)
	t.Cleanup(servers.Close)
	c, err := api.NewClient(&api.Config{Address: servers.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDashboardRouteTable goes over every route the dashboard serves and
// a few path tricks: the two page paths are open, everything else needs
// a token that reads the catalog.
func TestDashboardRouteTable(t *testing.T) {
	reached := false
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true })
	h := dashboardGuard(inner, remote.New(remote.Clients(fakeACLServers(t))))
	var paths []string
	for _, p := range dashboard.New(dashboard.Options{}).Patterns() {
		_, path, _ := strings.Cut(p, " ")
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{$}", ""), "{name}", "x")
		paths = append(paths, path)
	}
	paths = append(paths, "//api/overview", "/dashboard/../api/overview", "/./metrics", "/dashboard//api/overview", "/API/overview")
	for _, path := range paths {
		open := path == "/" || path == "/dashboard/"
		for _, tc := range []struct {
			token string
			pass  bool
		}{{"", open}, {"wrong", open}, {"node-reader", open}, {"catalog-reader", true}} {
			reached = false
			req := httptest.NewRequest("GET", "http://dash"+path, nil)
			if tc.token != "" {
				req.Header.Set("X-Nomad-Token", tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if reached != tc.pass {
				t.Errorf("%s with %q: reached=%v (%d %s), want %v", path, tc.token, reached, rec.Code, rec.Body, tc.pass)
			}
		}
	}
}
