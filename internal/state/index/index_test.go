package index

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

func commit(t *testing.T, x *Index, idx uint64, fn func(*Txn)) {
	t.Helper()
	txn := x.Txn()
	fn(txn)
	if err := txn.Commit(idx); err != nil {
		t.Fatal(err)
	}
}

func TestTableIndexesFollowAt(t *testing.T) {
	x := New()
	commit(t, x, 12, func(txn *Txn) {
		txn.At(10)
		txn.UpsertNode(&structs.Node{ID: "n"})
		txn.At(12)
		txn.UpsertEval(&structs.Evaluation{ID: "e", Namespace: "default", JobID: "j"})
	})
	snap := x.Snapshot()
	if snap.Index() != 12 || snap.TableIndex(state.TableNodes) != 10 || snap.TableIndex(state.TableEvals) != 12 ||
		snap.TableIndex(state.TableAllocs) != 0 || snap.TableIndex() != 12 {
		t.Fatalf("indexes: store %d nodes %d evals %d allocs %d", snap.Index(),
			snap.TableIndex(state.TableNodes), snap.TableIndex(state.TableEvals), snap.TableIndex(state.TableAllocs))
	}
	commit(t, x, 13, func(txn *Txn) { txn.UpsertNode(&structs.Node{ID: "m"}) })
	if got := x.Snapshot().TableIndex(state.TableNodes); got != 13 {
		t.Fatalf("without At the table index is the commit's: %d", got)
	}
}

func TestWaitIndexAndClose(t *testing.T) {
	x := New()
	done := make(chan error, 1)
	go func() { _, err := x.WaitIndex(context.Background(), 5); done <- err }()
	commit(t, x, 4, func(*Txn) {})
	commit(t, x, 5, func(*Txn) {})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() { _, err := x.WaitForChange(context.Background(), 5); done <- err }()
	x.Close()
	if err := <-done; !errors.Is(err, state.ErrClosed) {
		t.Fatalf("waiter after Close: %v", err)
	}
}

func TestJobStatus(t *testing.T) {
	running := &structs.Allocation{ID: "a1", Namespace: "default", JobID: "web", NodeID: "n",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusRunning}
	done := &structs.Allocation{ID: "a2", Namespace: "default", JobID: "web", NodeID: "n",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusComplete}
	pending := &structs.Evaluation{ID: "e", Namespace: "default", JobID: "web", Status: structs.EvalStatusPending}
	cases := []struct {
		name   string
		stop   bool
		allocs []*structs.Allocation
		evals  []*structs.Evaluation
		want   string
	}{
		{"nothing yet", false, nil, nil, structs.JobStatusPending},
		{"eval pending", false, nil, []*structs.Evaluation{pending}, structs.JobStatusPending},
		{"alloc running", false, []*structs.Allocation{running, done}, nil, structs.JobStatusRunning},
		{"all allocs done", false, []*structs.Allocation{done}, nil, structs.JobStatusDead},
		{"stopped, alloc still running", true, []*structs.Allocation{running}, nil, structs.JobStatusRunning},
		{"stopped", true, []*structs.Allocation{done}, []*structs.Evaluation{pending}, structs.JobStatusDead},
	}
	for _, c := range cases {
		x := New()
		commit(t, x, 1, func(txn *Txn) {
			txn.UpsertJob(&structs.Job{Namespace: "default", ID: "web", Stop: c.stop})
			for _, a := range c.allocs {
				txn.UpsertAlloc(a)
			}
			for _, e := range c.evals {
				txn.UpsertEval(e)
			}
		})
		if got := x.Snapshot().Job("default", "web").Status; got != c.want {
			t.Errorf("%s: status %q, want %q", c.name, got, c.want)
		}
	}
}

func TestClearReplacesEverything(t *testing.T) {
	x := New()
	commit(t, x, 1, func(txn *Txn) {
		txn.UpsertNode(&structs.Node{ID: "old"})
		txn.SetNodeUsage("old", 1)
	})
	commit(t, x, 7, func(txn *Txn) {
		txn.Clear()
		txn.UpsertNode(&structs.Node{ID: "new"})
	})
	snap := x.Snapshot()
	if snap.Node("old") != nil || snap.Node("new") == nil || snap.NodeUsage("old") != 0 {
		t.Fatal("Clear did not replace the index")
	}
	if snap.TableIndex(state.TableJobs) != 0 || snap.TableIndex(state.TableNodes) != 7 {
		t.Fatalf("table indexes jobs %d nodes %d, want 0 (untouched) and 7", snap.TableIndex(state.TableJobs), snap.TableIndex(state.TableNodes))
	}
}

func TestRowsCountsEveryObjectTable(t *testing.T) {
	x := New()
	txn := x.Txn()
	txn.UpsertNode(&structs.Node{ID: "n1"})
	txn.SetNodeUsage("n1", 1)
	if err := txn.Commit(1); err != nil {
		t.Fatal(err)
	}
	rows := x.Snapshot().Rows()
	if rows["nodes"] != 1 || rows["node_usage"] != 1 || rows["jobs"] != 0 {
		t.Fatalf("rows = %v", rows)
	}
	if _, ok := rows["index"]; ok {
		t.Fatal("the index table is counted")
	}
	txn = x.Txn()
	txn.DeleteNode("n1")
	if err := txn.Commit(2); err != nil {
		t.Fatal(err)
	}
	if rows := x.Snapshot().Rows(); rows["nodes"] != 0 || rows["node_usage"] != 0 {
		t.Fatalf("rows after delete = %v", rows)
	}
}
