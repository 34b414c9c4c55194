package index

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// recorder is a change listener that keeps what it was told.
type recorder struct {
	indexes []uint64
	changes [][]state.Change
}

func (r *recorder) listen(index uint64, changes []state.Change) {
	r.indexes = append(r.indexes, index)
	r.changes = append(r.changes, changes)
}

func TestChangeListenerSeesCommitsInOrder(t *testing.T) {
	x := New()
	r := &recorder{}
	x.SetChangeListener(r.listen)
	job := &structs.Job{ID: "web", Namespace: "default", Status: structs.JobStatusPending}
	alloc := &structs.Allocation{ID: "a", Namespace: "default", JobID: "web", NodeID: "n",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusRunning}
	commit(t, x, 5, func(txn *Txn) {
		txn.UpsertJob(job)
		txn.UpsertNode(&structs.Node{ID: "n"})
	})
	commit(t, x, 6, func(txn *Txn) { txn.UpsertAlloc(alloc) })
	commit(t, x, 7, func(*Txn) {}) // nothing changed: no call
	commit(t, x, 8, func(txn *Txn) {
		txn.DeleteAlloc("a")
		txn.DeleteNode("n")
	})

	if fmt.Sprint(r.indexes) != "[5 6 8]" {
		t.Fatalf("listener called at %v", r.indexes)
	}
	tests := []struct {
		commit int
		want   []string
	}{
		{0, []string{"jobs web false", "nodes n false"}},
		// The allocation makes the job running: the derived status is a
		// change of the job too.
		{1, []string{"allocs a false", "jobs web false"}},
		{2, []string{"allocs a true", "nodes n true", "jobs web false"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range r.changes[tt.commit] {
			got = append(got, fmt.Sprintf("%s %s %t", c.Table, objectID(c.Object), c.Deleted))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("commit %d: %v, want %v", tt.commit, got, tt.want)
		}
	}
	if j := r.changes[1][1].Object.(*structs.Job); j.Status != structs.JobStatusRunning {
		t.Errorf("derived job change has status %q", j.Status)
	}
}

func objectID(o any) string {
	switch v := o.(type) {
	case *structs.Job:
		return v.ID
	case *structs.Allocation:
		return v.ID
	case *structs.Node:
		return v.ID
	}
	return "?"
}

func TestChangeListenerIgnoresReloadsAndCanBeRemoved(t *testing.T) {
	x := New()
	r := &recorder{}
	x.SetChangeListener(r.listen)
	commit(t, x, 3, func(txn *Txn) {
		txn.Clear()
		txn.UpsertNode(&structs.Node{ID: "n"})
	})
	x.SetChangeListener(nil)
	commit(t, x, 4, func(txn *Txn) { txn.UpsertNode(&structs.Node{ID: "m"}) })
	if len(r.indexes) != 0 {
		t.Fatalf("listener told of a reload or after removal: %v", r.indexes)
	}
}

// BenchmarkTxnUpsertAllocs10kWithListener is BenchmarkTxnUpsertAllocs10k
// with a change listener installed, as on every server: the difference is
// what the event stream's feed costs a big plan.
func BenchmarkTxnUpsertAllocs10kWithListener(b *testing.B) {
	x := New()
	x.SetChangeListener(func(uint64, []state.Change) {})
	idx := uint64(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		allocs := make([]*structs.Allocation, 10000)
		for j := range allocs {
			allocs[j] = benchAlloc(fmt.Sprintf("%08d-%05d", i, j), fmt.Sprintf("node-%04d", j%1000), 20000+i*10+j/1000)
		}
		b.StartTimer()
		txn := x.Txn()
		for _, a := range allocs {
			txn.UpsertAlloc(a)
		}
		if err := txn.Commit(idx); err != nil {
			b.Fatal(err)
		}
		idx++
	}
}
