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

// TestRemoteRegistryCheck: a registry-only agent takes an ACL token with
// registry write for uploads and registry read for private reads, as the
// servers resolve it; where the servers have ACLs off no ACL token opens
// the registry (only its upload tokens do).
func TestRemoteRegistryCheck(t *testing.T) {
	policies := map[string]string{"reg-read": `registry { policy = "read" }`, "reg-write": `registry { policy = "write" }`,
		"jobs": `namespace "*" { policy = "write" }`}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/acl/token/self", func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get(api.TokenHeader)
		if _, ok := policies[name]; !ok {
			http.Error(w, "Permission denied: ACL token not found", http.StatusForbidden)
			return
		}
		_ = json.NewEncoder(w).Encode(&structs.ACLToken{Type: structs.ACLClientToken, Policies: []string{name}})
	})
	mux.HandleFunc("GET /v1/acl/policy/{name}", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(&structs.ACLPolicy{Name: r.PathValue("name"), Rules: policies[r.PathValue("name")]})
	})
	on := httptest.NewServer(mux)
	defer on.Close()
	off := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "ACL support disabled (set acl { enabled = true } in the agent configuration)", http.StatusBadRequest)
	}))
	defer off.Close()
	check := func(url string) func(*http.Request, bool) error {
		c, err := api.NewClient(&api.Config{Address: url})
		if err != nil {
			t.Fatal(err)
		}
		return remoteRegistryCheck(remote.New(remote.Clients(c)))
	}
	tests := []struct {
		servers, token string
		write, ok      bool
	}{
		{on.URL, "reg-write", true, true},
		{on.URL, "reg-write", false, true},
		{on.URL, "reg-read", false, true},
		{on.URL, "reg-read", true, false},
		{on.URL, "jobs", true, false},
		{on.URL, "jobs", false, false},
		{on.URL, "unknown", true, false},
		{off.URL, "anything-at-all", true, false},
		{off.URL, "", false, false},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("PUT", "/web_1.0.json", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		err := check(tc.servers)(req, tc.write)
		if (err == nil) != tc.ok {
			t.Errorf("servers %s token %q write=%v: %v, want ok=%v", tc.servers, tc.token, tc.write, err, tc.ok)
		}
	}
}
