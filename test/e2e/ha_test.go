package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
)

// TestTwoServersFailover runs two servers on one etcd cluster: writes and
// heartbeats sent to the follower reach the leader's scheduler and timers,
// and when the leader dies the follower takes over and schedules.
func TestTwoServersFailover(t *testing.T) {
	ext, err := embedetcd.Start(context.Background(), embedetcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	endpoints := strings.Join(ext.Endpoints(), ",")
	first := startAgent(t, "-server", "-etcd-endpoints", endpoints, "-dc", "minipot")
	second := startAgent(t, "-server", "-etcd-endpoints", endpoints, "-dc", "minipot")

	c1 := first.client(t)
	leader, err := c1.Status().Leader()
	if err != nil {
		t.Fatal(err)
	}
	leaderAgent, follower := first, second
	if !strings.HasSuffix(first.addr, leader) {
		leaderAgent, follower = second, first
	}
	fc := follower.client(t)
	if l2, _ := fc.Status().Leader(); l2 != leader {
		t.Fatalf("servers disagree on the leader: %q vs %q", leader, l2)
	}
	// The fake node talks to the follower only.
	startNodes(t, fc, 1)
	out, code := run(t, follower.addr, "job", "run", seedJob)
	if code != 0 {
		t.Fatalf("job run through the follower exited %d:\n%s", code, out)
	}

	leaderAgent.kill()
	waitFor(t, 30*time.Second, "the follower to lead", func() bool {
		l, err := fc.Status().Leader()
		return err == nil && strings.HasSuffix(follower.addr, l)
	})
	out, code = run(t, follower.addr, "job", "scale", "nginx-minipot", "group1", "2")
	if code != 0 {
		t.Fatalf("scale after failover exited %d:\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "two running allocations", func() bool {
		allocs, _, err := fc.Jobs().Allocations("nginx-minipot", false, &api.QueryOptions{})
		running := 0
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				running++
			}
		}
		return err == nil && running == 2
	})
}
