package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryACLRouteTable runs a server agent with the registry role,
// ACLs on, an upload token file and private reads, and goes over the
// registry's routes: without a token, with a wrong one, with an ACL token
// lacking the registry rule, with registry read, with registry write and
// with the upload token. Reads need read (private_reads), uploads and
// deletes write; a revoked ACL token is refused at once.
func TestRegistryACLRouteTable(t *testing.T) {
	dir := t.TempDir()
	regPort := freePort(t)
	uploadTok := "upload-token-0123456789"
	tokFile := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokFile, []byte(uploadTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "agent.hcl")
	body := fmt.Sprintf(`datacenter = "minipot"
data_dir = %q
server { enabled = true }
registry {
  enabled       = true
  port          = %d
  token_file    = %q
  private_reads = true
}
`, filepath.Join(dir, "data"), regPort, tokFile)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-config", cfg, "-acl-enabled=true")
	out, code := runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	token := func(name, rules string) string {
		t.Helper()
		f := filepath.Join(dir, name+".hcl")
		if err := os.WriteFile(f, []byte(rules), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", name, f); code != 0 {
			t.Fatalf("policy %s: %d\n%s", name, code, out)
		}
		out, code := runAs(t, a.addr, root, "acl", "token", "create", "-name", name, "-policy", name)
		if code != 0 {
			t.Fatalf("token %s: %d\n%s", name, code, out)
		}
		return secretOf(t, out)
	}
	jobWriter := token("jobs", `namespace "*" { policy = "write" }`+"\nnode { policy = \"write\" }\n")
	reader := token("reg-read", `registry { policy = "read" }`)
	writer := token("reg-write", `registry { policy = "write" }`)

	base := fmt.Sprintf("http://127.0.0.1:%d", regPort)
	const file = "web_1.0.json"
	send := func(method, path, header, value string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"name":"web"}`))
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send("PUT", "/"+file, "Authorization", "Bearer "+uploadTok); code != http.StatusCreated {
		t.Fatalf("seed upload: %d", code)
	}
	routes := []struct {
		method, path string
		write        bool
	}{
		{"GET", "/", false}, {"GET", "/v1/images", false}, {"GET", "/" + file, false}, {"HEAD", "/" + file, false},
		{"PUT", "/" + file, true}, {"DELETE", "/other_1.0.json", true},
	}
	tokens := []struct {
		name, header, value string
		reads, writes       bool
	}{
		{"none", "", "", false, false},
		{"wrong", "Authorization", "Bearer not-a-token", false, false},
		{"job writer", "X-Nomad-Token", jobWriter, false, false},
		{"registry read", "X-Nomad-Token", reader, true, false},
		{"registry write", "Authorization", "Bearer " + writer, true, true},
		{"management", "X-Nomad-Token", root, true, true},
		{"upload token", "Authorization", "Bearer " + uploadTok, true, true},
	}
	for _, rt := range routes {
		for _, tk := range tokens {
			want := tk.reads
			if rt.write {
				want = tk.writes
			}
			code := send(rt.method, rt.path, tk.header, tk.value)
			refused := code == http.StatusUnauthorized || code == http.StatusForbidden
			if refused == want {
				t.Errorf("%s %s with %s: %d, want allowed=%v", rt.method, rt.path, tk.name, code, want)
			}
		}
	}
	// The server's own state decides: a deleted token is refused at once.
	out, code = runAs(t, a.addr, root, "acl", "token", "list")
	if code != 0 {
		t.Fatalf("token list: %d\n%s", code, out)
	}
	var accessor string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "reg-write" {
			accessor = f[len(f)-1]
			for _, w := range f {
				if len(w) == 36 && strings.Count(w, "-") == 4 {
					accessor = w
				}
			}
		}
	}
	if accessor == "" {
		t.Fatalf("no reg-write token in:\n%s", out)
	}
	if out, code := runAs(t, a.addr, root, "acl", "token", "delete", accessor); code != 0 {
		t.Fatalf("token delete: %d\n%s", code, out)
	}
	if code := send("PUT", "/"+file, "Authorization", "Bearer "+writer); code != http.StatusForbidden {
		t.Fatalf("upload with a deleted token: %d, want 403", code)
	}
}
