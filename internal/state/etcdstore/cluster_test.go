package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// startCluster starts n embedded members forming one cluster. Their
// ports are picked before the members bind them, so another process may
// take one in between: a start that fails for a taken port is stopped,
// with its peers, and made again on new ports.
func startCluster(t *testing.T, n int) []*embedetcd.Server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		srvs, errs := startMembers(t, n)
		taken := false
		for _, err := range errs {
			taken = taken || errors.Is(err, syscall.EADDRINUSE)
		}
		if taken && attempt < 5 {
			t.Logf("a picked port was taken, starting on new ports: %v", errs)
			for _, s := range srvs {
				if s != nil {
					_ = s.Close()
				}
			}
			continue
		}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("member %d: %v", i, err)
			}
			t.Cleanup(func() { _ = srvs[i].Close() })
		}
		return srvs
	}
}

// startMembers starts n members on free ports at once; a member that
// cannot bind its port makes the others give up waiting for it.
func startMembers(t *testing.T, n int) ([]*embedetcd.Server, []error) {
	t.Helper()
	cfgs := make([]embedetcd.Config, n)
	var initial []string
	for i := range cfgs {
		cp, err1 := embedetcd.FreePort()
		pp, err2 := embedetcd.FreePort()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		cfgs[i] = embedetcd.Config{DataDir: t.TempDir(), Name: fmt.Sprintf("s%d", i), UnsafeNoFsync: true,
			ClientURL: fmt.Sprintf("http://127.0.0.1:%d", cp), PeerURL: fmt.Sprintf("http://127.0.0.1:%d", pp)}
		initial = append(initial, cfgs[i].Name+"="+cfgs[i].PeerURL)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	srvs := make([]*embedetcd.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range cfgs {
		cfgs[i].InitialCluster = strings.Join(initial, ",")
		wg.Go(func() {
			srvs[i], errs[i] = embedetcd.Start(ctx, cfgs[i])
			if errors.Is(errs[i], syscall.EADDRINUSE) {
				cancel()
			}
		})
	}
	wg.Wait()
	return srvs, errs
}

// TestStoresOnThreeMembers runs two servers' stores on different members
// of a three-member cluster.
func TestStoresOnThreeMembers(t *testing.T) {
	ctx := testContext(t)
	srvs := startCluster(t, 3)
	a := open(t, embeddedConfig(srvs[0], etcdstore.DefaultPrefix))
	b := open(t, embeddedConfig(srvs[2], etcdstore.DefaultPrefix))
	job := statetest.NewJob("web")
	idx, err := a.RegisterJob(ctx, job, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitForChange(ctx, idx-1, state.TableJobs); err != nil {
		t.Fatal(err)
	}
	node := statetest.NewNode("n")
	if _, err := b.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	plan := bigPlan(b, []*structs.Node{node}, 5)
	pidx, err := b.ApplyPlan(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitForChange(ctx, pidx-1, state.TableAllocs); err != nil {
		t.Fatal(err)
	}
	if got := len(a.Snapshot().AllocsByNode(node.ID)); got != 5 {
		t.Fatalf("member 0's store sees %d allocs placed through member 2, want 5", got)
	}
	checkSameTableIndexes(t, a, b)
}
