package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclServerConfig is a server-only agent with ACLs at their default.
func aclServerConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.hcl")
	body := "datacenter = \"minipot\"\ndata_dir = \"" + t.TempDir() + "\"\nserver { enabled = true }\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// putSnapshot sends body to PUT /v1/operator/snapshot, past the CLI's own
// check, and returns the status and message.
func putSnapshot(t *testing.T, addr, token string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", addr+"/v1/operator/snapshot", bytes.NewReader(body))
	req.Header.Set("X-Nomad-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

// TestSnapshotSaveRestoreAcrossAgents: a snapshot saved with the CLI from
// one agent (server and client, ACLs on, a job running with a service)
// and restored with the CLI into a fresh server brings back the job, its
// allocation, the node, the service registration, the ACL policy and the
// tokens (the source's management token works on the target, the
// target's own does not any more). Damaged and foreign files are refused
// by the CLI and by the server, and leave the target as it was.
func TestSnapshotSaveRestoreAcrossAgents(t *testing.T) {
	a := startAgent(t, "-config", aclAgentConfig(t), "-acl-enabled=true")
	out, code := runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("acl bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	ac := a.client(t).WithToken(root)
	rules := filepath.Join(t.TempDir(), "ops.hcl")
	if err := os.WriteFile(rules, []byte("operator { policy = \"read\" }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", "ops-readers", rules); code != 0 {
		t.Fatalf("policy apply: %d\n%s", code, out)
	}
	marker := fmt.Sprintf("snap-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	svc := "    service {\n      name = \"snap-web\"\n      port = \"http\"\n      provider = \"nomad\"\n    }\n"
	if out, code := runAs(t, a.addr, root, "job", "run", rawJob(t, "snapweb", marker, `while true; do sleep 1; done`, svc)); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var reg *structs.ServiceRegistration
	waitFor(t, 30*time.Second, "the task's service instance", func() bool {
		regs, _, err := ac.Services().Get("snap-web", nil)
		if err == nil && len(regs) == 1 {
			reg = regs[0]
		}
		return reg != nil
	})
	var allocs []*structs.AllocListStub
	waitFor(t, 30*time.Second, "the allocation running", func() bool {
		var err error
		allocs, _, err = ac.Jobs().Allocations("snapweb", true, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == structs.AllocClientStatusRunning
	})
	nodes, _, err := ac.Nodes().List(nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes: %v %v", nodes, err)
	}

	file := filepath.Join(t.TempDir(), "backup.snap")
	if out, code := runAs(t, a.addr, "", "operator", "snapshot", "save", file); code == 0 || !strings.Contains(out, "a management token") {
		t.Fatalf("save without a token: %d\n%s", code, out)
	}
	if out, code := runAs(t, a.addr, root, "operator", "snapshot", "save", file); code != 0 || !strings.Contains(out, "State file written to") {
		t.Fatalf("save: %d\n%s", code, out)
	}
	out, code = run(t, a.addr, "operator", "snapshot", "inspect", file)
	for _, want := range []string{"wharf-snapshot v1", "Index", "SHA256", "jobs ", "allocs ", "nodes ", "services ", "acl_tokens "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("inspect: %d, no %q in\n%s", code, want, out)
		}
	}
	a.stop(t)

	b := startAgent(t, "-config", aclServerConfig(t), "-acl-enabled=true")
	out, code = runAs(t, b.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("acl bootstrap of the target: %d\n%s", code, out)
	}
	broot := secretOf(t, out)
	assertBadSnapshotsRefused(t, b.addr, broot, file)

	out, code = runAs(t, b.addr, broot, "operator", "snapshot", "restore", file)
	if code != 0 || !strings.Contains(out, "Snapshot Restored") {
		t.Fatalf("restore: %d\n%s", code, out)
	}
	if _, code := runAs(t, b.addr, broot, "job", "status"); code == 0 {
		t.Fatal("the target's own management token survived a restore of another cluster's tokens")
	}
	bc := b.client(t).WithToken(root)
	assertRestored(t, bc, allocs[0], nodes[0].ID, reg)
	if out, code := runAs(t, b.addr, root, "acl", "policy", "list"); code != 0 || !strings.Contains(out, "ops-readers") {
		t.Fatalf("policy list after restore: %d\n%s", code, out)
	}
	if out, code := runAs(t, b.addr, root, "job", "status", "snapweb"); code != 0 || !strings.Contains(out, "snapweb") {
		t.Fatalf("job status after restore: %d\n%s", code, out)
	}
}

// assertBadSnapshotsRefused: a truncated, a bit-flipped and a foreign
// file are refused by the CLI and by the server, and the target holds no
// job after them.
func assertBadSnapshotsRefused(t *testing.T, addr, token, good string) {
	t.Helper()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", data[:len(data)-len(data)/3], "corrupt"},
		{"bit-flipped", flipped, "corrupt"},
		{"foreign", []byte("SQLite format 3\x00" + strings.Repeat("\x00", 4096)), "not a wharf snapshot"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), c.name+".snap")
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := runAs(t, addr, token, "operator", "snapshot", "restore", path)
		if code != 1 || !strings.Contains(out, c.want) || !strings.Contains(out, "nothing restored") {
			t.Fatalf("CLI restore of a %s file: %d\n%s", c.name, code, out)
		}
		if out, code := runAs(t, addr, token, "operator", "snapshot", "inspect", path); code != 1 || !strings.Contains(out, c.want) {
			t.Fatalf("inspect of a %s file: %d\n%s", c.name, code, out)
		}
		if code, msg := putSnapshot(t, addr, token, c.data); code != http.StatusBadRequest || !strings.Contains(msg, c.want) {
			t.Fatalf("server restore of a %s file: %d %s", c.name, code, msg)
		}
	}
	if code, msg := putSnapshot(t, addr, "", data); code != http.StatusForbidden {
		t.Fatalf("restore without a token: %d %s", code, msg)
	}
	out, code := runAs(t, addr, token, "job", "status")
	if code != 0 || strings.Contains(out, "snapweb") {
		t.Fatalf("the target changed after refused restores: %d\n%s", code, out)
	}
}

// assertRestored checks the job's allocation, the node and the service
// came back as they were.
func assertRestored(t *testing.T, c *api.Client, alloc *structs.AllocListStub, nodeID string, reg *structs.ServiceRegistration) {
	t.Helper()
	got, _, err := c.Allocations().Info(alloc.ID, nil)
	if err != nil || got.JobID != "snapweb" || got.NodeID != nodeID || got.ClientStatus != alloc.ClientStatus {
		t.Fatalf("allocation after restore: %+v %v (was %+v)", got, err, alloc)
	}
	n, _, err := c.Nodes().Info(nodeID, nil)
	if err != nil || n.ID != nodeID {
		t.Fatalf("node after restore: %+v %v", n, err)
	}
	regs, _, err := c.Services().Get("snap-web", nil)
	if err != nil || len(regs) != 1 || regs[0].ID != reg.ID || regs[0].Port != reg.Port {
		t.Fatalf("service after restore: %+v %v (was %+v)", regs, err, reg)
	}
}
