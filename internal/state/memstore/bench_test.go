package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

func BenchmarkWaitForChangeWake(b *testing.B) {
	for _, waiters := range []int{1, 1000} {
		b.Run(fmt.Sprintf("waiters=%d", waiters), func(b *testing.B) {
			s := memstore.New()
			defer s.Close()
			statetest.BenchWake(b, s, waiters)
		})
	}
}

// BenchmarkApplyPlan10k applies plans of 10,000 placements over 1,000
// nodes to the in-memory store.
func BenchmarkApplyPlan10k(b *testing.B) {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	job := statetest.NewJob("web")
	if _, err := s.RegisterJob(ctx, job, nil, nil); err != nil {
		b.Fatal(err)
	}
	job = s.Snapshot().Job("default", "web")
	nodes := make([]*structs.Node, 1000)
	for i := range nodes {
		nodes[i] = statetest.NewNode(fmt.Sprintf("n%04d", i))
		if _, err := s.UpsertNode(ctx, nodes[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ev := statetest.NewEval(job)
		plan := structs.NewPlan(ev, s.Snapshot().Index())
		for _, n := range nodes {
			for i := range 10 {
				plan.AppendAlloc(statetest.NewAlloc(job, n, ev.ID, i))
			}
		}
		b.StartTimer()
		if _, err := s.ApplyPlan(ctx, plan, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "allocs/s")
}
