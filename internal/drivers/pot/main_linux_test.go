package pot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/image/imagetest"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/supervise"
)

// TestMain lets the test binary play the wharf binary's hidden
// `supervise` command.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "supervise" {
		os.Exit(supervise.Main(os.Args[2]))
	}
	os.Exit(m.Run())
}

// needJails fails (CI) or skips the test when jails cannot run here.
func needJails(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		imagetest.Need(t, "jails need root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		imagetest.Need(t, "runc is not installed")
	}
}

// testNet is a private jail network for one test.
type testNet struct{ bridge, cidr, table string }

// newTestNet picks a bridge, a /24 in 10.250.0.0/16 and a table unlikely
// to clash with other tests, and removes them at the end of t.
func newTestNet(t testing.TB) testNet {
	t.Helper()
	n := rand.IntN(250) + 1
	tn := testNet{bridge: fmt.Sprintf("wt%d", n), cidr: fmt.Sprintf("10.250.%d.0/24", n), table: fmt.Sprintf("wharf_t%d", n)}
	t.Cleanup(func() {
		_ = netjail.DeleteTable(tn.table)
		_ = netjail.DeleteBridge(tn.bridge)
	})
	return tn
}

// options returns driver options private to t: data and state dirs, and
// the network tn.
func options(t testing.TB, tn testNet) pot.Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.MkdirTemp("", "pt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	return pot.Options{Enabled: true, DataDir: t.TempDir(), StateDir: state,
		SupervisorCommand: []string{exe, "supervise"}, Bridge: tn.bridge, CIDR: tn.cidr, NFTTable: tn.table,
		AllowHostNetwork: true}
}

// registry builds the test image "bb" tag "1" and serves it.
func registry(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	imagetest.Build(t, dir, "bb", "1", "/bin/sh", "-c", "echo default command")
	return imagetest.Serve(t, dir)
}

// taskConfig returns a task of the test image with fresh directories.
func taskConfig(t testing.TB, url string, conf map[string]any) *drivers.TaskConfig {
	t.Helper()
	alloc := fmt.Sprintf("%08x-pot-test-%d", rand.Uint32(), rand.IntN(1e6))
	root := t.TempDir()
	taskDir, logDir := filepath.Join(root, "web"), filepath.Join(root, "alloc", "logs")
	for _, d := range []string{filepath.Join(taskDir, "local"), filepath.Join(taskDir, "secrets"),
		filepath.Join(root, "alloc"), logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := map[string]any{"image": url, "pot": "bb", "tag": "1"}
	for k, v := range conf {
		c[k] = v
	}
	return &drivers.TaskConfig{ID: alloc + "/web", AllocID: alloc, JobID: "pottest", TaskGroupName: "g",
		TaskName: "web", Config: c, Env: map[string]string{"PATH": "/bin"}, MemoryMB: 64, CPUShares: 100,
		AllocDir: root, TaskDir: taskDir, LogDir: logDir, LogMaxFiles: 2, LogMaxFileSizeMB: 1}
}

// jailLeftovers lists what the driver's jails left on the node, and the
// cgroups of the tests' containers.
func jailLeftovers(t testing.TB, o pot.Options) []string {
	t.Helper()
	return pot.New(o).Leftovers(context.Background(), "")
}

// ctx returns a context ending with the test.
func ctx(t testing.TB) context.Context {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return c
}
