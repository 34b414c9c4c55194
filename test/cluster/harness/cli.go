package harness

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// CLI runs the wharf command line against the agent (WHARF_ADDR, and
// WHARF_TOKEN when ACLs are on) from the test's own network, and returns
// its combined output and exit code; it is killed after 60 s.
func (c *Cluster) CLI(t testing.TB, a *Agent, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "WHARF_ADDR="+a.HTTPAddr(), "WHARF_TOKEN="+c.Token)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("harness: run wharf %v: %v", args, err)
	}
	return string(out), 0
}

// Binary is the path of the wharf binary the agents run.
func (c *Cluster) Binary() string { return c.bin }
