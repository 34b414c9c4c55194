package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// revocableElector leads once with a fence the test revokes without
// ending the leadership context: a deposed leader that has not noticed.
type revocableElector struct {
	LocalElector
	lost   atomic.Bool
	led    chan struct{}
	ledOut chan struct{}
}

func newRevocableElector() *revocableElector {
	return &revocableElector{led: make(chan struct{}), ledOut: make(chan struct{})}
}

func (e *revocableElector) Run(ctx context.Context, lead func(context.Context)) error {
	close(e.led)
	lead(state.WithFence(ctx, state.Fence{Held: func() bool { return !e.lost.Load() }}))
	close(e.ledOut)
	<-ctx.Done()
	return nil
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// deposedServer starts a server over st led by el, logging into a buffer.
func deposedServer(t *testing.T, st state.Store, el *revocableElector, mod func(*Config)) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{Store: st, Elector: el, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv, logs
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeposedLeaderCannotMarkNodeDown: the heartbeat timer of a leader
// whose leadership ended fires; the node-down write is refused and
// logged, the node stays ready, and the server stops leading at once.
func TestDeposedLeaderCannotMarkNodeDown(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	node := fakeNode("n1", "dc1", "raw_exec")
	if _, err := st.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	el := newRevocableElector()
	srv, logs := deposedServer(t, st, el, func(c *Config) { c.FailoverHeartbeatTTL = 300 * time.Millisecond })
	waitUntil(t, "leadership", srv.isLeader)
	el.lost.Store(true)
	nodesBefore := st.Snapshot().TableIndex(state.TableNodes)

	select {
	case <-el.ledOut:
	case <-time.After(10 * time.Second):
		t.Fatalf("the deposed leader kept leading; log:\n%s", logs)
	}
	out := logs.String()
	if !strings.Contains(out, "leadership lost, write refused") || !strings.Contains(out, "write=\"mark node down\"") {
		t.Fatalf("refused node-down write not logged:\n%s", out)
	}
	if srv.isLeader() {
		t.Fatal("server still leads after a write was refused for lost leadership")
	}
	snap := st.Snapshot()
	if n := snap.Node(node.ID); n.Status != structs.NodeStatusReady {
		t.Fatalf("deposed leader marked the node %s", n.Status)
	}
	if got := snap.TableIndex(state.TableNodes); got != nodesBefore {
		t.Fatalf("nodes index moved %d -> %d", nodesBefore, got)
	}
}

// TestDeposedLeaderPlanRefusedNotRetried: a deposed leader's plan is
// refused once, logged, and not retried; the evaluation stays pending for
// the next leader and nothing is placed.
func TestDeposedLeaderPlanRefusedNotRetried(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.UpsertNode(ctx, fakeNode("n1", "dc1", "raw_exec")); err != nil {
		t.Fatal(err)
	}
	el := newRevocableElector()
	srv, logs := deposedServer(t, st, el, nil)
	waitUntil(t, "leadership", srv.isLeader)
	el.lost.Store(true)
	job := testJob("web", 2, "raw_exec")
	ev := newEval(job, structs.EvalTriggerJobRegister)
	if _, err := st.RegisterJob(ctx, job, []*structs.Evaluation{ev}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-el.ledOut:
	case <-time.After(10 * time.Second):
		t.Fatalf("the deposed leader kept leading; log:\n%s", logs)
	}
	out := logs.String()
	if n := strings.Count(out, "leadership lost, write refused"); n != 1 || !strings.Contains(out, `write="apply plan"`) {
		t.Fatalf("want exactly one refused plan logged, got %d:\n%s", n, out)
	}
	if strings.Contains(out, "retrying") || strings.Contains(out, "evaluation failed") {
		t.Fatalf("a refused leader write was retried or failed the evaluation:\n%s", out)
	}
	snap := st.Snapshot()
	if n := len(snap.Allocs()); n != 0 {
		t.Fatalf("%d allocations placed by a deposed leader", n)
	}
	if e := snap.Eval(ev.ID); e.Status != structs.EvalStatusPending {
		t.Fatalf("evaluation %s, want pending for the next leader", e.Status)
	}
}
