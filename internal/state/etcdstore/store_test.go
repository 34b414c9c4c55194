package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

// shared is the embedded etcd of this test binary (see main_test.go).
func shared() *embedetcd.Server { return etcdstore.SharedEtcd() }

// newPrefix returns a key prefix no other store in this process uses.
func newPrefix() string { return etcdstore.NewTestPrefix() }

// embeddedConfig is a store configuration for srv with its limits.
func embeddedConfig(srv *embedetcd.Server, prefix string) etcdstore.Config {
	return etcdstore.Config{Endpoints: srv.Endpoints(), MaxTxnOps: srv.MaxTxnOps(),
		MaxRequestBytes: srv.MaxRequestBytes(), Prefix: prefix}
}

// open opens a store on cfg and closes it when the test ends.
func open(t testing.TB, cfg etcdstore.Config) *etcdstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := etcdstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		return open(t, embeddedConfig(shared(), newPrefix()))
	})
}

// TestConformanceExternalLimits runs the suite with an external etcd's
// default limits, so writes split into many small transactions.
func TestConformanceExternalLimits(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		return open(t, etcdstore.Config{Endpoints: shared().Endpoints(), Prefix: newPrefix(), MaxTxnOps: 16})
	})
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
