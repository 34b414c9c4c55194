package etcdstore_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/wharf-project/wharf/internal/operator"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// snapshotOf10k is a snapshot of one job with 10,000 allocations over
// 100 nodes, made with the store's own encoding.
func snapshotOf10k(b *testing.B) []byte {
	b.Helper()
	srv := benchEtcd(b, 0, 0)
	s := open(b, embeddedConfig(srv, etcdstore.DefaultPrefix))
	ctx := b.Context()
	job := statetest.NewJob("big")
	if _, err := s.RegisterJob(ctx, job, nil, nil); err != nil {
		b.Fatal(err)
	}
	job = s.Snapshot().Job("default", "big")
	var nodes []*structs.Node
	for i := range 100 {
		n := statetest.NewNode(fmt.Sprintf("n%d", i))
		if _, err := s.UpsertNode(ctx, n); err != nil {
			b.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	ev := statetest.NewEval(job)
	plan := structs.NewPlan(ev, s.Snapshot().Index())
	for i := range 10000 {
		plan.AppendAlloc(statetest.NewAlloc(job, nodes[i%100], ev.ID, i))
	}
	if _, err := s.ApplyPlan(ctx, plan, []*structs.Evaluation{ev}); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.SaveSnapshot(ctx, &buf, false); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkSnapshot10k saves and restores a state of 10,000 allocations
// on an embedded etcd with fsync on; restore-into-fresh writes every key
// into an empty store, restore-over-same rewrites a store that already
// holds them.
func BenchmarkSnapshot10k(b *testing.B) {
	data := snapshotOf10k(b)
	sm, err := operator.Read(bytes.NewReader(data), operator.ReadOptions{}, func(operator.Record) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot: %d keys, %d bytes compressed, %d uncompressed", sm.Keys, len(data), sm.Bytes)
	b.Run("save", func(b *testing.B) {
		srv := benchEtcd(b, 0, 0)
		s := open(b, embeddedConfig(srv, etcdstore.DefaultPrefix))
		if _, err := s.RestoreSnapshot(b.Context(), bytes.NewReader(data), operator.ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := s.SaveSnapshot(b.Context(), io.Discard, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(sm.Keys), "keys")
	})
	b.Run("restore-into-fresh", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			srv := benchEtcd(b, 0, 0)
			s := open(b, embeddedConfig(srv, etcdstore.DefaultPrefix))
			b.StartTimer()
			res, err := s.RestoreSnapshot(b.Context(), bytes.NewReader(data), operator.ReadOptions{})
			if err != nil || len(s.Snapshot().Allocs()) != 10000 {
				b.Fatalf("%+v %v", res, err)
			}
		}
	})
	b.Run("restore-over-same", func(b *testing.B) {
		srv := benchEtcd(b, 0, 0)
		s := open(b, embeddedConfig(srv, etcdstore.DefaultPrefix))
		for b.Loop() {
			if _, err := s.RestoreSnapshot(b.Context(), bytes.NewReader(data), operator.ReadOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
