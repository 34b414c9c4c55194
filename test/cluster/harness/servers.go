package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// AddServer starts one more server, named s<N+1> on the next server
// address, with the harness's server configuration and extra merged in
// (after Options.ServerHCL). extra carries how it joins the cluster:
// `etcd { join = [...] }`, or the initial_cluster and
// initial_cluster_state = "existing" that `wharf server join` printed.
// It returns once the server names a leader.
func (c *Cluster) AddServer(t *testing.T, extra string) *Agent {
	t.Helper()
	a := c.newAgent(fmt.Sprintf("s%d", len(c.Servers)+1), byte(11+len(c.Servers)), true)
	c.Servers = append(c.Servers, a)
	base, err := mergeHCL(serverHCL(a, "", c.opts.ACL), c.opts.ServerHCL)
	if err != nil {
		t.Fatal(err)
	}
	c.configure(a, base, extra)
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	c.waitUp(t, a)
	return a
}

// NextServerIP is the address AddServer will give the next server.
func (c *Cluster) NextServerIP() string { return c.net.ip(byte(11 + len(c.Servers))).String() }

// CLI runs the wharf command line against agent a (WHARF_ADDR, and the
// cluster's token in WHARF_TOKEN) and returns its output and exit code.
func (c *Cluster) CLI(t testing.TB, a *Agent, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "WHARF_ADDR="+a.HTTPAddr(), "WHARF_TOKEN="+c.Token, "NOMAD_TOKEN=")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("harness: run wharf %v: %v", args, err)
	}
	return string(out), 0
}
