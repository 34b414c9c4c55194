package etcdstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// benchEtcd starts a member with fsync on (as in production) in a temp
// dir, with the given limits (0: embedetcd's defaults).
func benchEtcd(b *testing.B, maxTxnOps, maxRequestBytes uint) *embedetcd.Server {
	b.Helper()
	srv, err := embedetcd.Start(context.Background(), embedetcd.Config{DataDir: b.TempDir(),
		MaxTxnOps: maxTxnOps, MaxRequestBytes: maxRequestBytes})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return srv
}

// BenchmarkApplyPlan10k applies plans of 10,000 placements over 1,000
// nodes through the etcd store, on an embedded etcd (fsync on) with the
// embedded member's limits and with an external etcd's default limits.
func BenchmarkApplyPlan10k(b *testing.B) {
	cases := []struct {
		name       string
		ops, bytes uint
	}{
		{"embedded-limits", 0, 0},
		{"external-default-limits", etcdstore.DefaultMaxTxnOps, etcdstore.DefaultMaxRequestBytes},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := benchEtcd(b, c.ops, c.bytes)
			benchApplyPlan(b, open(b, embeddedConfig(srv, etcdstore.DefaultPrefix)))
		})
	}
}

func benchApplyPlan(b *testing.B, s *etcdstore.Store) {
	ctx := context.Background()
	if _, err := s.RegisterJob(ctx, statetest.NewJob("web"), nil, nil); err != nil {
		b.Fatal(err)
	}
	nodes := make([]*structs.Node, 1000)
	for i := range nodes {
		nodes[i] = statetest.NewNode(fmt.Sprintf("n%04d", i))
	}
	for i := 0; i < len(nodes); i += 100 {
		upsertNodes(b, s, nodes[i:i+100])
	}
	var txns uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		plan := bigPlan(s, nodes, 10)
		before := s.Writes()
		b.StartTimer()
		if _, err := s.ApplyPlan(ctx, plan, nil); err != nil {
			b.Fatal(err)
		}
		txns += s.Writes() - before
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "allocs/s")
	b.ReportMetric(float64(txns)/float64(b.N), "etcd-txns/op")
}

// upsertNodes writes nodes concurrently.
func upsertNodes(b *testing.B, s *etcdstore.Store, nodes []*structs.Node) {
	errs := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() {
			_, err := s.UpsertNode(context.Background(), n)
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWaitForChangeWake measures write-to-wake latency through etcd:
// the etcd commit, the watch and the index apply.
func BenchmarkWaitForChangeWake(b *testing.B) {
	srv := benchEtcd(b, 0, 0)
	for _, waiters := range []int{1, 1000} {
		b.Run(fmt.Sprintf("waiters=%d", waiters), func(b *testing.B) {
			s := open(b, embeddedConfig(srv, etcdstore.NewTestPrefix()))
			statetest.BenchWake(b, s, waiters)
		})
	}
}
