package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// etcdServer is a leading server on a real embedded etcd (with fsync), for
// benchmarks of the whole write path.
type etcdServer struct {
	*testServer
	etcd  *embedetcd.Server
	store *etcdstore.Store
}

func newEtcdServer(tb testing.TB) *etcdServer {
	tb.Helper()
	ctx := context.Background()
	ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(tb.TempDir(), "etcd")})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: ec.Endpoints(),
		MaxTxnOps: ec.MaxTxnOps(), MaxRequestBytes: ec.MaxRequestBytes()})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MinHeartbeatTTL: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(rctx) }()
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		_ = st.Close()
		_ = ec.Close()
	})
	ts := &testServer{t: tb, srv: srv, store: st, http: hs}
	for !srv.isLeader() {
		time.Sleep(time.Millisecond)
	}
	return &etcdServer{testServer: ts, etcd: ec, store: st}
}

// BenchmarkRegisterToPlaced measures the whole write path: a job of 10,000
// instances registered over HTTP on a server with embedded etcd and 1,000
// fake nodes, until every allocation is written and the evaluation is
// complete.
func BenchmarkRegisterToPlaced(b *testing.B) {
	const nodes, count = 1000, 10_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		es := newEtcdServer(b)
		for n := 0; n < nodes; n++ {
			if _, err := es.store.UpsertNode(context.Background(), fakeNode(fmt.Sprintf("n%d", n), "dc1", "raw_exec")); err != nil {
				b.Fatal(err)
			}
		}
		job := testJob(fmt.Sprintf("big%d", i), count, "raw_exec")
		writes := es.store.Writes()
		b.StartTimer()
		start := time.Now()
		resp := registerB(b, es, job)
		for {
			e := es.store.Snapshot().Eval(resp.EvalID)
			if e != nil && e.TerminalStatus() {
				if e.Status != structs.EvalStatusComplete {
					b.Fatalf("eval %s: %s", e.Status, e.StatusDescription)
				}
				break
			}
			time.Sleep(time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if n := len(es.store.Snapshot().AllocsByJob("default", job.ID)); n != count {
			b.Fatalf("%d allocations written, want %d", n, count)
		}
		b.ReportMetric(float64(count)/elapsed.Seconds(), "placements/s")
		b.ReportMetric(elapsed.Seconds(), "s/job")
		b.ReportMetric(float64(es.store.Writes()-writes), "etcd-writes")
	}
}

func registerB(b *testing.B, es *etcdServer, job *structs.Job) *structs.JobRegisterResponse {
	b.Helper()
	var resp structs.JobRegisterResponse
	code, raw := es.do("PUT", "/v1/jobs", map[string]any{"Job": job}, &resp)
	if code != http.StatusOK {
		b.Fatalf("register: %d %s", code, raw)
	}
	return &resp
}

// BenchmarkBlockingQueryWake measures how long a blocking query on
// /v1/job/:id takes to answer after a write to that job starts, over HTTP
// on a server with embedded etcd. Reports p50 and p99.
func BenchmarkBlockingQueryWake(b *testing.B) {
	es := newEtcdServer(b)
	job := testJob("watched", 0, "raw_exec")
	last := registerB(b, es, job)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The previous write's evaluation must be done, or its completion
		// would wake the query.
		for e := es.store.Snapshot().Eval(last.EvalID); e == nil || !e.TerminalStatus(); e = es.store.Snapshot().Eval(last.EvalID) {
			time.Sleep(100 * time.Microsecond)
		}
		index := es.store.Snapshot().TableIndex("jobs", "allocs", "evals")
		woke := make(chan time.Time, 1)
		go func() {
			resp, err := http.Get(fmt.Sprintf("%s/v1/job/watched?index=%d&wait=30s", es.http.URL, index))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			woke <- time.Now()
		}()
		time.Sleep(2 * time.Millisecond) // let the query reach its wait
		job.Meta = map[string]string{"i": fmt.Sprint(i)}
		start := time.Now()
		last = registerB(b, es, job)
		lat = append(lat, (<-woke).Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
