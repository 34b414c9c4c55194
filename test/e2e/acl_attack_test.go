package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestACLNamespaceIsolation runs a non-dev agent with ACLs on and one job
// in each of "default" and "prod", and attacks with a token that may
// read and write "default" (plus node read) and with a node write token
// (what every client agent holds): nothing of prod is listed, a job
// naming prod in its body is refused, and the node write token cannot
// heartbeat the agent's node or fail its allocations.
func TestACLNamespaceIsolation(t *testing.T) {
	a := startAgent(t, "-config", aclAgentConfig(t), "-acl-enabled=true")
	out, code := runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	dir := t.TempDir()
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
	dev := token("dev", `namespace "default" { policy = "write" }`+"\nnode { policy = \"read\" }\n")
	nodeTok := token("nodes", `node { policy = "write" }`)

	marker := fmt.Sprintf("aclns-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	put := func(path, secret, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("PUT", a.addr+path, strings.NewReader(body))
		req.Header.Set("X-Nomad-Token", secret)
		return send(t, req)
	}
	jobJSON := func(id, ns string) string {
		return fmt.Sprintf(`{"Job":{"ID":%q,"Name":%q,"Namespace":%q,"Type":"service","Datacenters":["minipot"],
"TaskGroups":[{"Name":"g","Count":1,"Tasks":[{"Name":"t","Driver":"raw_exec","Env":{"MARKER":%q},
"Config":{"command":"/bin/sh","args":["-c","while true; do sleep 1; done"]},"Resources":{"CPU":50,"MemoryMB":32}}]}]}}`, id, id, ns, marker)
	}
	for _, ns := range []string{"default", "prod"} {
		if code, body := put("/v1/jobs?namespace="+ns, root, jobJSON("web-"+ns, ns)); code != http.StatusOK {
			t.Fatalf("register web-%s: %d %s", ns, code, body)
		}
	}
	var alloc struct{ ID, NodeID string }
	waitFor(t, 60*time.Second, "an allocation of web-prod", func() bool {
		req, _ := http.NewRequest("GET", a.addr+"/v1/job/web-prod/allocations?namespace=prod", nil)
		req.Header.Set("X-Nomad-Token", root)
		code, body := send(t, req)
		var list []struct{ ID, NodeID string }
		if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list) == 0 {
			return false
		}
		alloc = list[0]
		return true
	})

	for _, path := range []string{"/v1/allocations", "/v1/evaluations", "/v1/node/" + alloc.NodeID + "/allocations", "/v1/services/node/" + alloc.NodeID} {
		req, _ := http.NewRequest("GET", a.addr+path, nil)
		req.Header.Set("X-Nomad-Token", dev)
		code, body := send(t, req)
		if code != http.StatusOK || strings.Contains(body, "prod") {
			t.Errorf("GET %s with the default token: %d, shows prod: %v", path, code, strings.Contains(body, "prod"))
		}
	}
	if code, body := put("/v1/jobs", dev, jobJSON("sneak", "prod")); code != http.StatusForbidden {
		t.Errorf("a default token registers a prod job by its body: %d %s", code, body)
	}
	if code, body := put("/v1/node/"+alloc.NodeID+"/heartbeat", nodeTok, "{}"); code != http.StatusForbidden {
		t.Errorf("a node write token heartbeats the agent's node: %d %s", code, body)
	}
	upd := fmt.Sprintf(`{"Alloc":[{"ID":%q,"ClientStatus":"failed"}]}`, alloc.ID)
	if code, body := put("/v1/allocations/update", nodeTok, upd); code != http.StatusForbidden {
		t.Errorf("a node write token fails an allocation: %d %s", code, body)
	}
}

// send does req and returns its status and body.
func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
