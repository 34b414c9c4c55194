package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// runAs runs the wharf CLI against addr with WHARF_TOKEN=token.
func runAs(t *testing.T, addr, token string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wharfBin, args...)
	cmd.Env = append(os.Environ(), "WHARF_ADDR="+addr, "WHARF_TOKEN="+token, "NOMAD_TOKEN=")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run wharf %v: %v", args, err)
	}
	return string(out), code
}

var secretLine = regexp.MustCompile(`Secret ID\s+=\s+([0-9a-f-]{36})`)

// secretOf returns the Secret ID a bootstrap or token create printed.
func secretOf(t *testing.T, out string) string {
	t.Helper()
	m := secretLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Secret ID in:\n%s", out)
	}
	return m[1]
}

// aclAgentConfig is a server and client agent with ACLs left at their
// default (on outside -dev) and raw_exec enabled.
func aclAgentConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.hcl")
	body := `datacenter = "minipot"
data_dir = "` + t.TempDir() + `"
server { enabled = true }
client {
  enabled = true
  network_interface = "lo"
  options = { "driver.raw_exec.enable" = "1" }
}
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestACLBootstrapPoliciesAndTokens drives ACLs as an operator would on a
// non-dev agent: everything is refused until `wharf acl bootstrap`, the
// agent's own client registers anyway, a read-only token reads but cannot
// submit, and a task's service instance cannot be taken over.
func TestACLBootstrapPoliciesAndTokens(t *testing.T) {
	a := startAgent(t, "-config", aclAgentConfig(t), "-acl-enabled=true")
	out, code := runAs(t, a.addr, "", "job", "status")
	if code == 0 || !strings.Contains(out, "wharf acl bootstrap") {
		t.Fatalf("job status before bootstrap: %d\n%s", code, out)
	}
	out, code = runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 || !strings.Contains(out, "Type         = management") {
		t.Fatalf("acl bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	if out, code := runAs(t, a.addr, "", "acl", "bootstrap"); code == 0 || !strings.Contains(out, "already done") {
		t.Fatalf("second bootstrap: %d\n%s", code, out)
	}
	rc := a.client(t).WithToken(root)
	waitFor(t, 30*time.Second, "the agent's own node ready", func() bool {
		nodes, _, err := rc.Nodes().List(nil)
		return err == nil && len(nodes) == 1 && nodes[0].Status == structs.NodeStatusReady
	})

	rules := filepath.Join(t.TempDir(), "readonly.hcl")
	if err := os.WriteFile(rules, []byte(`namespace "default" { policy = "read" }`+"\nnode { policy = \"read\" }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", "-description", "reads", "readonly", rules); code != 0 {
		t.Fatalf("policy apply: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "list"); code != 0 || !strings.Contains(out, "readonly") || !strings.Contains(out, "reads") {
		t.Fatalf("policy list: %d\n%s", code, out)
	}
	out, code = runAs(t, a.addr, root, "acl", "token", "create", "-name", "reader", "-policy", "readonly")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	reader := secretOf(t, out)

	marker := fmt.Sprintf("acl-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	svc := "    service {\n      name = \"acl-web\"\n      port = \"http\"\n      provider = \"nomad\"\n    }\n"
	job := rawJob(t, "aclweb", marker, `while true; do sleep 1; done`, svc)
	if out, code := runAs(t, a.addr, reader, "job", "run", job); code == 0 || !strings.Contains(out, `capability "submit-job"`) {
		t.Fatalf("reader runs a job: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, root, "job", "run", job); code != 0 {
		t.Fatalf("root runs a job: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, reader, "job", "status", "aclweb"); code != 0 || !strings.Contains(out, "aclweb") {
		t.Fatalf("reader reads the job: %d\n%s", code, out)
	}
	var task *structs.ServiceRegistration
	waitFor(t, 30*time.Second, "the task's service instance", func() bool {
		regs, _, err := rc.Services().Get("acl-web", nil)
		if err == nil && len(regs) == 1 {
			task = regs[0]
		}
		return task != nil
	})
	assertNoHijack(t, a.addr, root, task)
	if out, code := runAs(t, a.addr, reader, "alloc", "logs", task.AllocID, "t"); code == 0 || !strings.Contains(out, `capability "read-logs"`) {
		t.Fatalf("reader reads logs: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, root, "alloc", "logs", task.AllocID, "t"); code != 0 {
		t.Fatalf("root reads logs: %d\n%s", code, out)
	}

	if out, code := runAs(t, a.addr, reader, "acl", "token", "self"); code != 0 || !strings.Contains(out, "reader") {
		t.Fatalf("token self: %d\n%s", code, out)
	}
	out, code = runAs(t, a.addr, root, "acl", "token", "list")
	if code != 0 || !strings.Contains(out, "Bootstrap Token") || !strings.Contains(out, "agent ") || strings.Contains(out, reader) {
		t.Fatalf("token list: %d\n%s", code, out)
	}
	tok, err := a.client(t).WithToken(reader).ACL().Self()
	if err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "token", "delete", tok.AccessorID); code != 0 {
		t.Fatalf("token delete: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, reader, "job", "status"); code == 0 || !strings.Contains(out, "token not found") {
		t.Fatalf("deleted token: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, root, "job", "stop", "aclweb"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
}

// assertNoHijack tries to take over a task's instance through wharf's own
// register endpoint, even with a management token: refused, and the
// instance keeps its address.
func assertNoHijack(t *testing.T, addr, root string, task *structs.ServiceRegistration) {
	t.Helper()
	evil := task.Copy()
	evil.Address, evil.Port = "6.6.6.6", 6666
	join := &structs.ServiceRegistration{ID: "evil", ServiceName: task.ServiceName, Address: "6.6.6.6", Port: 80}
	for _, tc := range []struct {
		name  string
		token string
		reg   *structs.ServiceRegistration
	}{
		{"anonymous overwrite", "", evil}, {"management overwrite", root, evil}, {"anonymous join", "", join},
	} {
		c, err := api.NewClient(&api.Config{Address: addr, Token: tc.token})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Services().Register([]*structs.ServiceRegistration{tc.reg}); !api.IsForbidden(err) {
			t.Errorf("%s: %v, want 403", tc.name, err)
		}
	}
	c, _ := api.NewClient(&api.Config{Address: addr, Token: root})
	regs, _, err := c.Services().Get(task.ServiceName, nil)
	if err != nil || len(regs) != 1 || regs[0].Address != task.Address || regs[0].Port != task.Port {
		t.Fatalf("the task's instance changed: %v %+v", err, regs)
	}
	resp, err := http.Get(addr + "/v1/status/leader")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status/leader: %v", err)
	}
	resp.Body.Close()
}
