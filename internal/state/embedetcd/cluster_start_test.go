package embedetcd

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
)

// startCluster starts the n members of cluster(t, n), each changed by
// adjust first (nil for none), and returns them with their start errors.
// The ports are picked before the members bind them, so another process
// may take one in between: a start that fails for a taken port is
// stopped, with its peers, and made again on new ports.
func startCluster(ctx context.Context, t *testing.T, n int, adjust func(i int, cfg *Config)) ([]*Server, []error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		cfgs := cluster(t, n)
		for i := range cfgs {
			if adjust != nil {
				adjust(i, &cfgs[i])
			}
		}
		srvs, errs := startAll(ctx, cfgs)
		taken := false
		for _, err := range errs {
			taken = taken || errors.Is(err, syscall.EADDRINUSE)
		}
		if !taken || attempt == portAttempts {
			return srvs, errs
		}
		t.Logf("a picked port was taken, starting on new ports: %v", errs)
		for _, s := range srvs {
			if s != nil {
				_ = s.Close()
			}
		}
	}
}

// startAll starts every member at once; a member that cannot bind its
// port makes the others give up waiting for it.
func startAll(ctx context.Context, cfgs []Config) ([]*Server, []error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srvs := make([]*Server, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Go(func() {
			srvs[i], errs[i] = Start(ctx, cfg)
			if errors.Is(errs[i], syscall.EADDRINUSE) {
				cancel()
			}
		})
	}
	wg.Wait()
	return srvs, errs
}

// TestStartClusterRetriesATakenPort: a member whose port was taken after
// the pick fails its start, and the cluster starts again on new ports.
func TestStartClusterRetriesATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := testCtx(t)
	calls := 0
	srvs, errs := startCluster(ctx, t, 3, func(i int, cfg *Config) {
		calls++
		if calls == 2 {
			cfg.ClientURL = "http://" + l.Addr().String()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srvs[i].Close() })
	}
	if calls != 6 || srvs[1].Endpoints()[0] == "http://"+l.Addr().String() {
		t.Fatalf("%d configurations made, member 1 at %v: want a second start on new ports", calls, srvs[1].Endpoints())
	}
	if _, err := client(t, srvs[2]).Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
}
