package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestDashboardGuard: with ACLs on at the servers, the dashboard's API
// needs a token that reads the catalog; its page stays open.
func TestDashboardGuard(t *testing.T) {
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
	defer servers.Close()
	c, err := api.NewClient(&api.Config{Address: servers.URL})
	if err != nil {
		t.Fatal(err)
	}
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
