package statetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var waitTests = []testCase{
	{"WaitForChangeReturnsAtOnce", testWaitAtOnce},
	{"WaitForChangeWakesOnItsTables", testWaitTables},
	{"WaitForChangeHonoursContext", testWaitContext},
	{"WaitForChangeWakesManyWaiters", testWaitMany},
	{"IndexesMonotonic", testIndexesMonotonic},
	{"ReadYourWrites", testReadYourWrites},
	{"SnapshotImmutable", testSnapshotImmutable},
	{"Close", testClose},
}

type waitResult struct {
	idx uint64
	err error
}

// waitAsync starts WaitForChange in a goroutine.
func (e *env) waitAsync(ctx context.Context, min uint64, tables ...state.Table) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		idx, err := e.s.WaitForChange(ctx, min, tables...)
		ch <- waitResult{idx, err}
	}()
	return ch
}

func testWaitAtOnce(t *testing.T, e *env) {
	idx := e.node("a").ModifyIndex
	got, err := e.s.WaitForChange(e.ctx, idx-1, state.TableNodes)
	if err != nil || got != idx {
		t.Fatalf("WaitForChange(%d) = %d, %v; want %d at once", idx-1, got, err, idx)
	}
	got, err = e.s.WaitForChange(e.ctx, 0, state.TableEvals, state.TableNodes)
	if err != nil || got != idx {
		t.Fatalf("two tables: %d, %v; want %d", got, err, idx)
	}
}

func testWaitTables(t *testing.T, e *env) {
	start := e.node("a").ModifyIndex
	nodes := e.waitAsync(e.ctx, start, state.TableNodes)
	either := e.waitAsync(e.ctx, start, state.TableJobs, state.TableEvals)
	evalIdx := e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{NewEval(NewJob("web"))}))
	if r := <-either; r.err != nil || r.idx != evalIdx {
		t.Fatalf("jobs+evals waiter = %d, %v; want %d", r.idx, r.err, evalIdx)
	}
	if got := e.snap().TableIndex(state.TableNodes); got != start {
		t.Fatalf("an eval write moved the nodes table index to %d", got)
	}
	nodeIdx := e.node("b").ModifyIndex
	if r := <-nodes; r.err != nil || r.idx != nodeIdx {
		t.Fatalf("nodes waiter = %d, %v; want %d (the node write, not the eval write %d)", r.idx, r.err, nodeIdx, evalIdx)
	}
}

func testWaitContext(t *testing.T, e *env) {
	idx := e.node("a").ModifyIndex
	ctx, cancel := context.WithCancel(e.ctx)
	res := e.waitAsync(ctx, idx, state.TableNodes)
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) || r.idx != idx {
		t.Fatalf("cancelled wait = %d, %v; want %d, context.Canceled", r.idx, r.err, idx)
	}
}

func testWaitMany(t *testing.T, e *env) {
	const waiters = 1000
	start := e.snap().TableIndex(state.TableEvals)
	var wg sync.WaitGroup
	results := make(chan waitResult, waiters)
	for range waiters {
		wg.Go(func() {
			idx, err := e.s.WaitForChange(e.ctx, start, state.TableEvals)
			results <- waitResult{idx, err}
		})
	}
	idx := e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{NewEval(NewJob("web"))}))
	wg.Wait()
	close(results)
	for r := range results {
		if r.err != nil || r.idx != idx {
			t.Fatalf("waiter = %d, %v; want %d", r.idx, r.err, idx)
		}
	}
}

func testIndexesMonotonic(t *testing.T, e *env) {
	job, node := e.setup()
	var last uint64
	writes := []func() uint64{
		func() uint64 { return e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{NewEval(job)})) },
		func() uint64 { return e.node("b").ModifyIndex },
		func() uint64 { _, idx := e.place(job, 1, node); return idx },
		func() uint64 { j := NewJob("web"); j.Priority = 1; return e.register(j).ModifyIndex },
		func() uint64 { return e.must(e.s.UpdateNodeStatus(e.ctx, node.ID, structs.NodeStatusDown, nil)) },
	}
	for i, w := range writes {
		idx := w()
		if idx <= last {
			t.Fatalf("write %d returned index %d after %d", i, idx, last)
		}
		if got := e.snap().Index(); got < idx {
			t.Fatalf("snapshot index %d behind write %d", got, idx)
		}
		last = idx
	}
}

func testReadYourWrites(t *testing.T, e *env) {
	for i := range 20 {
		ev := NewEval(NewJob("web"))
		idx := e.must(e.s.UpsertEvals(e.ctx, []*structs.Evaluation{ev}))
		if got := e.snap().Eval(ev.ID); got == nil || got.ModifyIndex != idx {
			t.Fatalf("write %d not visible right after it returned", i)
		}
	}
}

func testSnapshotImmutable(t *testing.T, e *env) {
	job, node := e.setup()
	allocs, _ := e.place(job, 2, node)
	old := e.snap()
	oldIdx := old.Index()
	changed := NewJob("web")
	changed.Priority = 99
	e.register(changed)
	e.clientUpdate(allocs[0], structs.AllocClientStatusFailed)
	e.place(job, 3, node)
	e.must(e.s.DeleteNode(e.ctx, node.ID))
	switch {
	case old.Index() != oldIdx:
		t.Fatal("snapshot index moved")
	case old.Job("default", "web").Priority != 50 || len(old.JobVersions("default", "web")) != 1:
		t.Fatal("snapshot sees a later job version")
	case len(old.AllocsByNode(node.ID)) != 2 || old.Alloc(allocs[0].ID).ClientStatus != structs.AllocClientStatusPending:
		t.Fatal("snapshot sees later alloc writes")
	case old.Node(node.ID) == nil:
		t.Fatal("snapshot lost a node deleted later")
	}
	if e.snap().Node(node.ID) != nil || len(e.snap().AllocsByJob("default", "web")) != 5 {
		t.Fatal("new snapshot does not see the writes")
	}
}

func testClose(t *testing.T, e *env) {
	idx := e.node("a").ModifyIndex
	waiting := e.waitAsync(e.ctx, idx, state.TableNodes)
	if err := e.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if r := <-waiting; !errors.Is(r.err, state.ErrClosed) {
		t.Fatalf("waiter after Close: %d, %v; want ErrClosed", r.idx, r.err)
	}
	if _, err := e.s.UpsertEvals(e.ctx, []*structs.Evaluation{NewEval(NewJob("web"))}); !errors.Is(err, state.ErrClosed) {
		t.Fatalf("write after Close: %v, want ErrClosed", err)
	}
	if err := e.s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
