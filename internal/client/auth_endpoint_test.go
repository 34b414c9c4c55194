package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclToken stores a policy with rules and a client token holding it.
func (ts *testServer) aclToken(t *testing.T, name, rules string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := ts.store.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: name, Rules: rules}}); err != nil {
		t.Fatal(err)
	}
	secret := structs.GenerateUUID()
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
		Name: name, Type: structs.ACLClientToken, Policies: []string{name}}
	if _, err := ts.store.UpsertACLTokens(ctx, []*structs.ACLToken{tok}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestClientEndpointsCheckTokens: with ACLs on, the client's own
// endpoints (reached directly, not through a server) ask the servers what
// the request's token may do, in the allocation's namespace.
func TestClientEndpointsCheckTokens(t *testing.T) {
	root := structs.GenerateUUID()
	ts := startServer(t, nil, func(c *server.Config) {
		c.ACLEnabled = true
		boot := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(root),
			Name: "root", Type: structs.ACLManagementToken}
		if _, err := c.Store.BootstrapACL(context.Background(), boot); err != nil {
			t.Fatal(err)
		}
		// The harness waits for leadership on /v1/agent/self, anonymously.
		anon := &structs.ACLPolicy{Name: structs.ACLAnonymousPolicy, Rules: `agent { policy = "read" }`}
		if _, err := c.Store.UpsertACLPolicies(context.Background(), []*structs.ACLPolicy{anon}); err != nil {
			t.Fatal(err)
		}
	})
	ts.api = ts.api.WithToken(root)
	nodeToken := ts.aclToken(t, "nodes", `node { policy = "write" }`)
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), func(cfg *Config) { cfg.Token = nodeToken })
	c.waitRegistered(t)
	ts.register(testJob("acl", structs.JobTypeService, 1, nil))
	alloc := ts.waitAllocs("acl", 1, structs.AllocClientStatusRunning)[0]

	reader := ts.aclToken(t, "reader", `namespace "default" { policy = "read" }`)
	other := ts.aclToken(t, "other", `namespace "prod" { policy = "write" }`)
	writer := ts.aclToken(t, "writer", `namespace "default" { policy = "write" }`)
	h := httptest.NewServer(c.Handler())
	defer h.Close()
	stats := "/v1/client/allocation/" + alloc.ID + "/stats"
	logs := "/v1/client/fs/logs/" + alloc.ID + "?task=web&type=stdout"
	gone := "/v1/client/allocation/not-here/stats"
	tests := []struct {
		name, path, token string
		want              int
		body              string
	}{
		{"no token", stats, "", http.StatusForbidden, "capability"},
		{"unknown token", stats, "not-a-token", http.StatusForbidden, "token not found"},
		{"other namespace", stats, other, http.StatusForbidden, `"default" capability "read-job"`},
		{"reader passes to stats (the fake driver has none)", stats, reader, http.StatusNotImplemented, ""},
		{"reader lacks read-logs", logs, reader, http.StatusForbidden, `capability "read-logs"`},
		{"writer reads logs", logs, writer, http.StatusOK, ""},
		{"unknown allocation needs every namespace", gone, writer, http.StatusForbidden, `namespace "*"`},
		{"management", logs, root, http.StatusOK, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest("GET", h.URL+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("X-Nomad-Token", tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 2048)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(b.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, resp.StatusCode, b.String(), tc.want, tc.body)
		}
	}
}

// TestEveryClientRouteHasACapability: a route added to the client's mux
// without an entry in endpointCaps would be refused; this keeps the table
// and the routes in step.
func TestEveryClientRouteHasACapability(t *testing.T) {
	c := &Client{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/client/fs/logs/{alloc}", c.serveLogs)
	c.actionRoutes(mux)
	c.execRoutes(mux)
	c.statsRoutes(mux)
	for pattern := range endpointCaps {
		method, path, _ := strings.Cut(pattern, " ")
		req := httptest.NewRequest(method, strings.ReplaceAll(path, "{alloc}", "a1"), nil)
		if _, got := mux.Handler(req); got != pattern {
			t.Errorf("endpointCaps has %q but the mux routes it to %q", pattern, got)
		}
	}
	for _, p := range []string{"/v1/client/fs/logs/a", "/v1/client/allocation/a/exec", "/v1/client/allocation/a/stats",
		"/v1/client/allocation/a/restart", "/v1/client/allocation/a/signal"} {
		for _, m := range []string{"GET", "PUT", "POST"} {
			_, pattern := mux.Handler(httptest.NewRequest(m, p, nil))
			if _, ok := endpointCaps[pattern]; pattern != "" && !ok {
				t.Errorf("route %q has no capability", pattern)
			}
		}
	}
}
