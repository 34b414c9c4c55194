package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// testAuthorize stands for the agent's ACL check: "acl-writer" holds
// registry write, "acl-reader" registry read, any other token nothing.
func testAuthorize(r *http.Request, write bool) error {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.Header.Get("X-Nomad-Token")
	}
	switch {
	case tok == "acl-writer", tok == "acl-reader" && !write:
		return nil
	case write:
		return errors.New(`Permission denied: missing registry policy "write"`)
	}
	return errors.New(`Permission denied: missing registry policy "read"`)
}

// TestRegistryRouteTable goes over every route of the registry, with
// anonymous and private reads, without a token, with a wrong one, with an
// ACL token that reads, one that writes and an upload token: reads are
// open unless private, writes need an upload token or registry write.
func TestRegistryRouteTable(t *testing.T) {
	const file = "web_1.0.json"
	routes := []struct {
		method, path string
		write        bool
	}{
		{"GET", "/", false},
		{"HEAD", "/", false},
		{"GET", "/v1/images", false},
		{"GET", "/" + file, false},
		{"HEAD", "/" + file, false},
		{"PUT", "/" + file, true},
		{"DELETE", "/" + file, true},
	}
	tokens := []struct {
		name, header, value string
		reads, writes       bool
	}{
		{"no token", "", "", false, false},
		{"wrong token", "Authorization", "Bearer nope", false, false},
		{"acl reader", "X-Nomad-Token", "acl-reader", true, false},
		{"acl writer (bearer)", "Authorization", "Bearer acl-writer", true, true},
		{"acl writer (X-Nomad-Token)", "X-Nomad-Token", "acl-writer", true, true},
		{"upload token", "Authorization", "Bearer " + testToken, true, true},
	}
	for _, private := range []bool{false, true} {
		for _, rt := range routes {
			for _, tk := range tokens {
				t.Run(fmt.Sprintf("private=%v/%s %s/%s", private, rt.method, rt.path, tk.name), func(t *testing.T) {
					s, err := New(Config{Dir: t.TempDir(), Tokens: []string{testToken}, Authorize: testAuthorize,
						PrivateReads: private, MaxUploadBytes: 1 << 20})
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					writeFile(t, s.Dir(), file, []byte(`{}`))
					hdr := map[string]string{}
					if tk.header != "" {
						hdr[tk.header] = tk.value
					}
					rec := do(t, s, rt.method, rt.path, strings.NewReader(`{"a":1}`), hdr)
					want := tk.reads || !private
					if rt.write {
						want = tk.writes
					}
					refused := rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden
					if want == refused {
						t.Fatalf("%d %s, want allowed=%v", rec.Code, rec.Body, want)
					}
					if refused && rt.write && tk.value != "" && !strings.Contains(rec.Body.String(), "registry policy") &&
						!strings.Contains(rec.Body.String(), "unauthorized") {
						t.Fatalf("refusal does not say why: %s", rec.Body)
					}
				})
			}
		}
	}
}

// TestRegistryWithoutACLCheck: a registry with neither upload tokens nor
// an ACL check refuses writes with 403 and serves reads; with private
// reads it refuses them too.
func TestRegistryWithoutACLCheck(t *testing.T) {
	for _, private := range []bool{false, true} {
		s, err := New(Config{Dir: t.TempDir(), PrivateReads: private})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, s.Dir(), "web_1.0.json", []byte(`{}`))
		if rec := do(t, s, "PUT", "/web_1.0.json", strings.NewReader("{}"), map[string]string{"Authorization": "Bearer x"}); rec.Code != http.StatusForbidden {
			t.Errorf("private=%v: PUT %d %s, want 403", private, rec.Code, rec.Body)
		}
		want := http.StatusOK
		if private {
			want = http.StatusForbidden
		}
		if rec := do(t, s, "GET", "/web_1.0.json", nil, nil); rec.Code != want {
			t.Errorf("private=%v: GET %d, want %d", private, rec.Code, want)
		}
		s.Close()
	}
}
