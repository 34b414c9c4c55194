package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclServer is a test server with ACLs on and bootstrapped; root is the
// management secret.
func aclServer(t *testing.T) (*testServer, string) {
	t.Helper()
	ts := newTestServer(t, func(c *Config) { c.ACLEnabled = true })
	var tok structs.ACLToken
	if code, raw := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, &tok); code != http.StatusOK {
		t.Fatalf("bootstrap: %d %s", code, raw)
	}
	return ts, tok.SecretID
}

// doToken is do with a token in X-Nomad-Token ("" for none).
func (ts *testServer) doToken(method, path, secret string, body io.Reader, out any) (int, string) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set(TokenHeader, secret)
	}
	if isStreamPath(path) {
		return ts.sendStream(req)
	}
	return ts.send(req, out)
}

// clientToken stores one policy per rules and a client token holding
// them all, and returns the token's secret.
func (ts *testServer) clientToken(name string, rules ...string) string {
	ts.t.Helper()
	ctx := context.Background()
	var names []string
	for i, r := range rules {
		if _, err := acl.Parse(r); err != nil {
			ts.t.Fatalf("policy %s: %v", name, err)
		}
		pn := fmt.Sprintf("%s-%d", name, i)
		if _, err := ts.store.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: pn, Rules: r}}); err != nil {
			ts.t.Fatal(err)
		}
		names = append(names, pn)
	}
	secret := structs.GenerateUUID()
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
		Name: name, Type: structs.ACLClientToken, Policies: names}
	if _, err := ts.store.UpsertACLTokens(ctx, []*structs.ACLToken{tok}); err != nil {
		ts.t.Fatal(err)
	}
	return secret
}

var wildcard = regexp.MustCompile(`\{[a-z]+\}`)

// routeRequest turns a route pattern into a method and a concrete path.
func routeRequest(pattern string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	return method, wildcard.ReplaceAllString(path, "x"+structs.GenerateUUID()[:8])
}

// allowedBy reports whether a token holding rules passes p for a request
// like req.
func allowedBy(ts *testServer, p perm, rules string, req *http.Request) bool {
	pol, err := acl.Parse(rules)
	if err != nil {
		ts.t.Fatalf("grant %q: %v", rules, err)
	}
	ai := &authInfo{acl: acl.New([]*acl.Policy{pol}), token: &structs.ACLToken{Policies: []string{"p"}}, aclsOn: true}
	return p.allow(ts.srv, ts.store.Snapshot(), req, ai)
}

// TestEveryRouteIsChecked goes over the server's whole route table: each
// route refuses a request without a token and one whose token has every
// permission but the route's own, naming what is missing, and accepts the
// right one. A route added without a permission fails here.
func TestEveryRouteIsChecked(t *testing.T) {
	ts, root := aclServer(t)
	var grants []string
	for _, rt := range ts.srv.routeTable {
		if rt.perm.grant != "" {
			grants = append(grants, rt.perm.grant)
		}
	}
	for _, rt := range ts.srv.routeTable {
		t.Run(rt.pattern, func(t *testing.T) {
			ts := &testServer{t: t, srv: ts.srv, store: ts.store, http: ts.http}
			method, path := routeRequest(rt.pattern)
			if rt.perm.open {
				if !isOpenPath(path) {
					t.Fatalf("route %s is open but not in the list of open routes", rt.pattern)
				}
				return
			}
			code, body := ts.doToken(method, path, "", nil, nil)
			if code != http.StatusForbidden || !strings.Contains(body, "Permission denied") {
				t.Fatalf("without a token: %d %q, want 403 Permission denied", code, body)
			}
			if rt.perm.tokenOnly {
				if code, body := ts.doToken(method, path, ts.clientToken("any", `node { policy = "deny" }`), nil, nil); code == http.StatusForbidden {
					t.Fatalf("with a token: %d %q", code, body)
				}
				return
			}
			req, _ := http.NewRequest(method, path, nil)
			req.SetPathValue("id", "none")
			var others []string
			for _, g := range grants {
				if !allowedBy(ts, rt.perm, g, req) {
					others = append(others, g)
				}
			}
			lacking := ts.clientToken("lacking-"+structs.GenerateUUID()[:8], others...)
			code, body = ts.doToken(method, path, lacking, nil, nil)
			want := rt.perm.what(ts.store.Snapshot(), req)
			if code != http.StatusForbidden || !strings.Contains(body, want) {
				t.Fatalf("with a token lacking it: %d %q, want 403 naming %q", code, body, want)
			}
			right := root
			if rt.perm.grant != "" {
				right = ts.clientToken("right-"+structs.GenerateUUID()[:8], rt.perm.grant)
			}
			if code, body = ts.doToken(method, path, right, nil, nil); code == http.StatusForbidden {
				t.Fatalf("with the right token: %d %q", code, body)
			}
		})
	}
}

// isOpenPath lists what answers without a token, as Nomad leaves them
// open.
func isOpenPath(path string) bool {
	switch path {
	case "/v1/status/leader", "/v1/status/peers", "/v1/regions", "/v1/acl/bootstrap", "/v1/":
		return true
	}
	return false
}

func TestBeforeBootstrapEverythingButOpenRoutesIsRefused(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ACLEnabled = true })
	for _, rt := range ts.srv.routeTable {
		method, path := routeRequest(rt.pattern)
		if rt.perm.open || strings.HasSuffix(path, "/bootstrap") {
			continue
		}
		code, body := ts.doToken(method, path, "any-secret", nil, nil)
		if code != http.StatusForbidden || !strings.Contains(body, "wharf acl bootstrap") {
			t.Errorf("%s: %d %q, want 403 telling to bootstrap", rt.pattern, code, body)
		}
	}
	if code, body := ts.doToken("GET", "/v1/status/leader", "", nil, nil); code != http.StatusOK {
		t.Fatalf("status/leader before bootstrap: %d %s", code, body)
	}
}

func TestRouteWithoutPermissionPanics(t *testing.T) {
	ts := newTestServer(t, nil)
	defer func() {
		if recover() == nil {
			t.Fatal("registering a route without a permission did not panic")
		}
	}()
	ts.srv.api("GET /v1/unchecked", perm{}, ts.srv.notFound)
}
