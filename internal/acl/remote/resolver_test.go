package remote

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeServers answers /v1/acl/token/self and /v1/acl/policy/:name like a
// server with ACLs on (or off), counting requests.
func fakeServers(t *testing.T, aclsOn bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	tokens := map[string]*structs.ACLToken{
		"reader-secret": {AccessorID: "r", Type: structs.ACLClientToken, Policies: []string{"read"}},
		"root-secret":   {AccessorID: "m", Type: structs.ACLManagementToken},
	}
	policies := map[string]*structs.ACLPolicy{
		"read":      {Name: "read", Rules: `service_prefix "" { policy = "read" }`},
		"anonymous": {Name: "anonymous", Rules: `node { policy = "read" }`},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/acl/token/self", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !aclsOn {
			http.Error(w, "ACL support disabled", http.StatusBadRequest)
			return
		}
		tok, ok := tokens[r.Header.Get(api.TokenHeader)]
		if !ok {
			http.Error(w, "Permission denied: ACL token not found", http.StatusForbidden)
			return
		}
		_ = json.NewEncoder(w).Encode(tok)
	})
	mux.HandleFunc("GET /v1/acl/policy/{name}", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		p, ok := policies[r.PathValue("name")]
		if !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestResolver(t *testing.T) {
	on, hits := fakeServers(t, true)
	dead, err := api.NewClient(&api.Config{Address: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	live, err := api.NewClient(&api.Config{Address: on.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Clients(dead, live))
	ctx := context.Background()
	tests := []struct {
		secret string
		ok     bool
		check  func(*acl.ACL) bool
	}{
		{"reader-secret", true, func(a *acl.ACL) bool { return a.AllowServiceRead("web") && !a.AllowNodeRead() }},
		{"root-secret", true, (*acl.ACL).IsManagement},
		{"", true, func(a *acl.ACL) bool { return a.AllowNodeRead() && !a.AllowServiceRead("web") }},
		{"nope", false, nil},
	}
	for _, tc := range tests {
		a, err := r.Resolve(ctx, tc.secret)
		if (err == nil) != tc.ok || (tc.check != nil && !tc.check(a)) {
			t.Errorf("Resolve(%q) = %v, %v", tc.secret, a, err)
		}
	}
	before := hits.Load()
	if _, err := r.Resolve(ctx, "reader-secret"); err != nil || hits.Load() != before {
		t.Fatalf("a second resolve asked the servers again (%d requests)", hits.Load()-before)
	}

	off, _ := fakeServers(t, false)
	offClient, _ := api.NewClient(&api.Config{Address: off.URL})
	if a, err := New(Clients(offClient)).Resolve(ctx, "anything"); err != nil || !a.IsManagement() {
		t.Fatalf("ACLs off: %v, %v", a, err)
	}
	if _, err := New(Clients(dead)).Resolve(ctx, "reader-secret"); err == nil {
		t.Fatal("no server reachable, yet the token resolved")
	}
}

func TestRequestToken(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer abc")
	if RequestToken(r) != "abc" {
		t.Fatal("bearer token not read")
	}
	r.Header.Set(api.TokenHeader, "xyz")
	if RequestToken(r) != "xyz" {
		t.Fatal("X-Nomad-Token not preferred")
	}
}

// TestWebSocketTokenTricks: the exec subprotocol yields the first
// wharf-token.<secret> offered, whatever the commas, blanks and header
// repetitions around it, and nothing for an empty one; a huge offer is
// read as a (wrong) secret, not a crash.
func TestWebSocketTokenTricks(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	tests := []struct {
		headers []string
		want    string
	}{
		{[]string{"wharf-exec, wharf-token.s1"}, "s1"},
		{[]string{"wharf-token.s1,wharf-token.s2"}, "s1"},
		{[]string{"wharf-exec", "wharf-token.s2"}, "s2"},
		{[]string{" ,, wharf-token.s3 , wharf-exec"}, "s3"},
		{[]string{"wharf-token."}, ""},
		{[]string{"xwharf-token.s4"}, ""},
		{[]string{"wharf-exec"}, ""},
		{[]string{"wharf-token." + huge}, huge},
	}
	for i, tc := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		for _, h := range tc.headers {
			r.Header.Add("Sec-WebSocket-Protocol", h)
		}
		if got := WebSocketToken(r); got != tc.want {
			t.Errorf("case %d: %.40q, want %.40q", i, got, tc.want)
		}
	}
	// A header token wins over a subprotocol one.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Sec-WebSocket-Protocol", "wharf-token.sub")
	r.Header.Set(api.TokenHeader, "hdr")
	if got := RequestToken(r); got != "hdr" {
		t.Fatalf("RequestToken: %q, want the header's", got)
	}
}

// TestResolverExtendsCacheWhileServersAreDown: once the servers cannot be
// asked, an answer older than CacheTTL is still used (a token's, or "ACLs
// are off" for any token), a token never resolved gets an error that
// IsUnreachable names, and a refusal stays a refusal; once the servers
// answer again, fresh answers replace the old ones.
func TestResolverExtendsCacheWhileServersAreDown(t *testing.T) {
	on, _ := fakeServers(t, true)
	off, _ := fakeServers(t, false)
	var down atomic.Bool
	var aclsOff atomic.Bool
	live, _ := api.NewClient(&api.Config{Address: on.URL})
	offClient, _ := api.NewClient(&api.Config{Address: off.URL})
	do := func(ctx context.Context, fn func(*api.Client) error) error {
		if down.Load() {
			return errors.New("dial tcp 10.0.0.1:4646: i/o timeout")
		}
		if aclsOff.Load() {
			return fn(offClient.WithContext(ctx))
		}
		return fn(live.WithContext(ctx))
	}
	now := time.Unix(1000, 0)
	r := New(do)
	r.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := r.Resolve(ctx, "reader-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, "nope"); err == nil {
		t.Fatal("unknown token resolved")
	}
	down.Store(true)
	now = now.Add(10 * CacheTTL)
	if a, err := r.Resolve(ctx, "reader-secret"); err != nil || !a.AllowServiceRead("web") {
		t.Errorf("servers down: reader = %v, %v; want the old answer", a, err)
	}
	if _, err := r.Resolve(ctx, "nope"); err == nil || IsUnreachable(err) {
		t.Errorf("servers down: unknown token = %v; want the old refusal", err)
	}
	if _, err := r.Resolve(ctx, "root-secret"); !IsUnreachable(err) {
		t.Errorf("servers down, token never asked about: %v; want an unreachable error", err)
	}

	down.Store(false)
	aclsOff.Store(true)
	if a, err := r.Resolve(ctx, "other-secret"); err != nil || a != acl.DisabledACL {
		t.Fatalf("ACLs off: %v, %v", a, err)
	}
	down.Store(true)
	now = now.Add(10 * CacheTTL)
	for _, secret := range []string{"root-secret", "", "reader-secret"} {
		if a, err := r.Resolve(ctx, secret); err != nil || a != acl.DisabledACL {
			t.Errorf("servers down after saying ACLs are off: %q = %v, %v", secret, a, err)
		}
	}
	down.Store(false)
	aclsOff.Store(false)
	if a, err := r.Resolve(ctx, "reader-secret"); err != nil || a.IsManagement() {
		t.Errorf("servers back with ACLs on: reader = %v, %v; want its own policy", a, err)
	}
}
