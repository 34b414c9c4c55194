package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// digStatus runs dig against the agent's DNS and returns the answer's
// status (NOERROR, NXDOMAIN) and its short answer lines.
func digStatus(t *testing.T, dig string, port int, name, qtype string) (string, string) {
	t.Helper()
	out, err := exec.Command(dig, "@127.0.0.1", "-p", strconv.Itoa(port), "+time=3", "+tries=1", name, qtype).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s: %v\n%s", name, err, out)
	}
	status := ""
	if i := strings.Index(string(out), "status: "); i >= 0 {
		status, _, _ = strings.Cut(string(out[i+len("status: "):]), ",")
	}
	short, err := exec.Command(dig, "+short", "@127.0.0.1", "-p", strconv.Itoa(port), "+time=3", "+tries=1", name, qtype).Output()
	if err != nil {
		t.Fatalf("dig +short %s: %v", name, err)
	}
	return status, strings.TrimSpace(string(short))
}

// TestDNSAndConsulListsFollowACLs: on a non-dev agent with ACLs on, DNS
// answers only what the anonymous policy reads (nothing before the
// bootstrap or without an anonymous policy), and the Consul-shaped lists
// show a token only the services it reads.
func TestDNSAndConsulListsFollowACLs(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dig is needed")
		}
		t.Skip("no dig")
	}
	dnsPort, consulPort := freePort(t), freePort(t)
	cfg := aclAgentConfig(t)
	extra := fmt.Sprintf("consul {\n  enabled = true\n  port = %d\n}\ndns {\n  enabled = true\n  port = %d\n}\n", consulPort, dnsPort)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	f.Close()
	a := startAgent(t, "-config", cfg, "-acl-enabled=true")
	waitFor(t, 20*time.Second, "the DNS server", func() bool {
		st, _ := digStatus(t, dig, dnsPort, "web.service.wharf", "A")
		return st != ""
	})
	if st, ans := digStatus(t, dig, dnsPort, "web.service.wharf", "A"); st != "NXDOMAIN" || ans != "" {
		t.Fatalf("before the bootstrap: %s %q", st, ans)
	}
	out, code := runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("acl bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	rc := a.client(t).WithToken(root)
	regs := []*structs.ServiceRegistration{
		{ID: "web-1", ServiceName: "web", Address: "10.7.0.1", Port: 80},
		{ID: "secret-1", ServiceName: "secret", Address: "10.7.0.2", Port: 80},
	}
	if err := rc.Services().Register(regs); err != nil {
		t.Fatal(err)
	}
	if st, ans := digStatus(t, dig, dnsPort, "web.service.wharf", "A"); st != "NXDOMAIN" || ans != "" {
		t.Fatalf("no anonymous policy: %s %q", st, ans)
	}

	rules := filepath.Join(t.TempDir(), "anon.hcl")
	if err := os.WriteFile(rules, []byte(`service "web" { policy = "read" }`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", "anonymous", rules); code != 0 {
		t.Fatalf("policy apply: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "web answered to anonymous", func() bool {
		_, ans := digStatus(t, dig, dnsPort, "web.service.wharf", "A")
		return ans == "10.7.0.1"
	})
	if st, ans := digStatus(t, dig, dnsPort, "secret.service.wharf", "A"); st != "NXDOMAIN" || ans != "" {
		t.Fatalf("secret to anonymous: %s %q", st, ans)
	}
	var nodes []*structs.NodeListStub
	waitFor(t, 20*time.Second, "the agent's node registered", func() bool {
		nodes, _, _ = rc.Nodes().List(nil)
		return len(nodes) > 0
	})
	if st, _ := digStatus(t, dig, dnsPort, nodes[0].Name+".node.wharf", "A"); st != "NXDOMAIN" {
		t.Fatalf("a node to anonymous without node read: %s", st)
	}

	// The Consul-shaped lists: a token reading web sees web, not secret.
	if err := os.WriteFile(rules, []byte(`service "web" { policy = "read" }`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", "webread", rules); code != 0 {
		t.Fatalf("policy apply: %d\n%s", code, out)
	}
	out, code = runAs(t, a.addr, root, "acl", "token", "create", "-name", "webreader", "-policy", "webread")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	webReader := secretOf(t, out)
	for _, tc := range []struct{ token, want, not string }{
		{webReader, `"web"`, `"secret"`},
		{root, `"secret"`, ""},
	} {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/v1/catalog/services", consulPort), nil)
		req.Header.Set("X-Consul-Token", tc.token)
		code, body := send(t, req)
		if code != 200 || !strings.Contains(body, tc.want) || (tc.not != "" && strings.Contains(body, tc.not)) {
			t.Fatalf("/v1/catalog/services: %d %s, want %s and not %q", code, body, tc.want, tc.not)
		}
	}
}
