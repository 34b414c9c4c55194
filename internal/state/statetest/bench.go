package statetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// BenchWake measures the time from the start of a write to each of
// waiters blocked in WaitForChange on the written table waking up, over
// b.N writes, and reports its p50 and p99 in microseconds.
func BenchWake(b *testing.B, s state.Store, waiters int) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{}, waiters)
	woke := make(chan time.Time, waiters)
	start := s.Snapshot().TableIndex(state.TableEvals)
	for range waiters {
		go wakeLoop(ctx, s, start, ready, woke)
	}
	job := NewJob("bench")
	lat := make([]time.Duration, 0, b.N*waiters)
	b.ResetTimer()
	for range b.N {
		for range waiters {
			<-ready
		}
		t0 := time.Now()
		if _, err := s.UpsertEvals(ctx, []*structs.Evaluation{NewEval(job)}); err != nil {
			b.Fatal(err)
		}
		for range waiters {
			lat = append(lat, (<-woke).Sub(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// wakeLoop waits for evals changes until ctx ends, announcing each wait
// on ready and each wake-up time on woke.
func wakeLoop(ctx context.Context, s state.Store, idx uint64, ready chan<- struct{}, woke chan<- time.Time) {
	for {
		ready <- struct{}{}
		next, err := s.WaitForChange(ctx, idx, state.TableEvals)
		if err != nil {
			return
		}
		woke <- time.Now()
		idx = next
	}
}
