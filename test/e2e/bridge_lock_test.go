package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// jailBridge is the bridge an agent's node advertises in its jail
// network attribute ("wharf1 10.x.0.0/16").
func jailBridge(t *testing.T, a *agentProc) string {
	t.Helper()
	var bridge string
	waitFor(t, 30*time.Second, "the node's jail network", func() bool {
		nodes, _, err := a.client(t).Nodes().List(nil)
		if err != nil || len(nodes) == 0 {
			return false
		}
		n, _, err := a.client(t).Nodes().Info(nodes[0].ID, nil)
		if err != nil {
			return false
		}
		if f := strings.Fields(n.Attributes[structs.AttrJailNetwork]); len(f) == 2 {
			bridge = f[0]
		}
		return bridge != ""
	})
	return bridge
}

// TestTwoDevAgentsNeverShareABridge: two agents on one host with the
// default jail settings used to share wharf0 and table wharf, each
// flushing the other's rules. Each now holds a lock on its own bridge
// (/run/wharf/<bridge>.lock), and the second takes another bridge.
func TestTwoDevAgentsNeverShareABridge(t *testing.T) {
	needJails(t)
	a := startAgent(t, "-dev")
	first := jailBridge(t, a)
	b := startAgent(t, "-dev")
	second := jailBridge(t, b)
	for _, br := range []string{first, second} {
		t.Cleanup(func() {
			_ = netjail.DeleteTable(map[bool]string{true: netjail.DefaultTable, false: br}[br == netjail.DefaultBridge])
			_ = netjail.DeleteBridge(br)
		})
	}
	if first == second || !strings.HasPrefix(second, "wharf") {
		t.Fatalf("the agents' bridges: %q and %q", first, second)
	}
	if !strings.Contains(b.out.String(), "held by another agent") {
		t.Errorf("the second agent did not say why it took %s:\n%s", second, b.out)
	}
	for _, br := range []string{first, second} {
		f, err := os.OpenFile(netjail.LockDir+"/"+br+".lock", os.O_RDWR, 0)
		if err != nil {
			t.Fatalf("no lock file for %s: %v", br, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			t.Errorf("%s is not locked by its agent", br)
		}
		f.Close()
	}
}
