package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/memstore"
)

// BenchmarkGCThousandBatchJobs times a forced collection of 1,000
// finished batch jobs (each with its version, evaluation and
// allocation), and reports the live heap and the index's objects before
// and after it; with etcd also the database file before, and after
// compaction and defragmentation.
func BenchmarkGCThousandBatchJobs(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		benchGC(b, func(b *testing.B) (state.Store, *embedetcd.Server) { return memstore.New(), nil })
	})
	b.Run("etcdstore", func(b *testing.B) {
		benchGC(b, func(b *testing.B) (state.Store, *embedetcd.Server) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(b.TempDir(), "etcd"), Log: quiet})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = ec.Close() })
			st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: ec.Endpoints(), MaxTxnOps: ec.MaxTxnOps(),
				MaxRequestBytes: ec.MaxRequestBytes(), Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st, ec
		})
	})
}

func benchGC(b *testing.B, open func(b *testing.B) (state.Store, *embedetcd.Server)) {
	var took time.Duration
	var heapBefore, heapAfter, rowsBefore, rowsAfter, dbBefore, dbAfter float64
	for range b.N {
		b.StopTimer()
		st, ec := open(b)
		f := newGCFixture(b, st)
		f.batchJobs(1000)
		heapBefore += liveHeapMiB()
		rowsBefore += float64(totalRows(st))
		if ec != nil {
			size, _, _ := ec.SpaceUsage()
			dbBefore += float64(size) / (1 << 20)
		}
		srv := newGCServer(b, st, GCConfig{})
		b.StartTimer()
		start := time.Now()
		res, err := srv.collectGarbage(f.ctx, true)
		took += time.Since(start)
		b.StopTimer()
		if err != nil || res.Jobs != 1000 {
			b.Fatalf("collected %+v, %v", res, err)
		}
		heapAfter += liveHeapMiB()
		rowsAfter += float64(totalRows(st))
		if ec != nil {
			if err := ec.Reclaim(f.ctx); err != nil {
				b.Fatal(err)
			}
			size, _, _ := ec.SpaceUsage()
			dbAfter += float64(size) / (1 << 20)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(took.Milliseconds())/n, "ms/gc")
	b.ReportMetric(heapBefore/n, "heap-MiB-before")
	b.ReportMetric(heapAfter/n, "heap-MiB-after")
	b.ReportMetric(rowsBefore/n, "rows-before")
	b.ReportMetric(rowsAfter/n, "rows-after")
	if dbBefore > 0 {
		b.ReportMetric(dbBefore/n, "etcd-MiB-before")
		b.ReportMetric(dbAfter/n, "etcd-MiB-after-reclaim")
	}
	b.ReportMetric(0, "ns/op")
}

// liveHeapMiB is the heap in use after a full collection.
func liveHeapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func totalRows(st state.Store) int {
	n := 0
	for _, v := range rows(st) {
		n += v
	}
	return n
}
