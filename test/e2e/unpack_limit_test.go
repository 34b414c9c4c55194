package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/netjail"
)

// TestImageOverUnpackedLimitTaskEvent pushes an image of a few hundred
// bytes whose file unpacks to 4 MiB of zeros to a dev agent with
// limits.image_max_unpacked = 1MiB and runs a pot task on it: the task's
// events say the image exceeds the unpacked size limit, naming it.
func TestImageOverUnpackedLimitTaskEvent(t *testing.T) {
	needJails(t)
	n := rand.IntN(200) + 20
	bridge, table, cidr := fmt.Sprintf("wu%d", n), fmt.Sprintf("wharf_u%d", n), fmt.Sprintf("10.251.%d.0/24", n)
	t.Cleanup(func() {
		_ = netjail.DeleteTable(table)
		_ = netjail.DeleteBridge(bridge)
	})
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    network = %q\n    nft_table = %q\n  }\n}\nlimits {\n  image_max_unpacked = \"1MiB\"\n}\n",
		bridge, cidr, table)
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", cfg)
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", a.out)
	}
	src, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "zeros"), make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, code := run(t, a.addr, "image", "build", "-name", "bomb", "-tag", "1", "-out", out, src); code != 0 {
		t.Fatalf("image build: %s", o)
	}
	if o, code := run(t, a.addr, "image", "push", "-registry", m[1], "-token-file", m[2], "-dir", out, "bomb", "1"); code != 0 {
		t.Fatalf("image push: %s", o)
	}
	job := filepath.Join(t.TempDir(), "bomb.nomad")
	src2 := fmt.Sprintf(`job "bomb" {
  datacenters = ["minipot"]
  group "g" {
    task "t" {
      driver = "pot"
      config {
        image = %q
        pot = "bomb"
        tag = "1"
        command = "/zeros"
      }
    }
  }
}
`, m[1])
	if err := os.WriteFile(job, []byte(src2), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
		t.Fatalf("job run: %s", o)
	}
	c := a.client(t)
	var events string
	waitFor(t, 60*time.Second, "a task event naming the unpacked size limit", func() bool {
		allocs, _, err := c.Jobs().Allocations("bomb", false, nil)
		if err != nil || len(allocs) == 0 {
			return false
		}
		alloc, _, err := c.Allocations().Info(allocs[0].ID, nil)
		if err != nil || alloc.TaskStates["t"] == nil {
			return false
		}
		var b strings.Builder
		for _, e := range alloc.TaskStates["t"].Events {
			fmt.Fprintf(&b, "%s: %s %s\n", e.Type, e.DisplayMessage, e.DriverError)
		}
		events = b.String()
		return strings.Contains(events, "unpacked size limit") && strings.Contains(events, "1048576 bytes")
	})
	t.Logf("task events:\n%s", events)
}
