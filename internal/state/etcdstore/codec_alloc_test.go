package etcdstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/structs"
)

// fullAlloc is an allocation with every field set, empty maps included.
func fullAlloc() *structs.Allocation {
	yes := true
	a := testAlloc("a1", "n1", 25000)
	a.JobVersion, a.DesiredDescription, a.DesiredTransition = 3, "why", structs.DesiredTransition{Migrate: &yes}
	a.ClientStatus, a.ClientDescription = structs.AllocClientStatusRunning, "Tasks are running"
	a.TaskStates = map[string]*structs.TaskState{"t": {State: "running", Restarts: 2,
		StartedAt: time.Unix(5, 0).UTC(), Events: []*structs.TaskEvent{}}}
	a.FollowupEvalID, a.PreviousAllocation, a.NextAllocation = "f", "p", "n"
	a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{}}
	a.Metrics.ClassFiltered, a.Metrics.ConstraintFiltered = map[string]int{}, map[string]int{"c": 1}
	a.Metrics.QuotaExhausted, a.Metrics.AllocationTime, a.Metrics.CoalescedFailures = []string{}, time.Second, 4
	return a
}

// TestStoredAllocReadsBack proves that the compact stored form reads back
// every field as written (empty maps and lists stay empty, not nil), that
// values stored in full before read back the same, and that the Job and
// the revision-derived indexes are not stored.
func TestStoredAllocReadsBack(t *testing.T) {
	a := fullAlloc()
	a.Job = &structs.Job{ID: "web"}
	a.CreateIndex, a.ModifyIndex = 77, 78
	compact, err := encodeAlloc(a, true)
	if err != nil {
		t.Fatal(err)
	}
	full, err := json.Marshal(struct {
		*structs.Allocation
		WharfServerWrite bool
	}{a, true})
	if err != nil {
		t.Fatal(err)
	}
	want := *a
	want.Job, want.CreateIndex, want.ModifyIndex, want.AllocModifyIndex = nil, 4, 9, 9
	for name, v := range map[string][]byte{"compact": []byte(compact), "full (stored before)": full} {
		got, err := decodeAlloc(&mvccpb.KeyValue{Key: []byte("k"), Value: v, CreateRevision: 4, ModRevision: 9})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("%s read back\n%+v\nwant\n%+v", name, got, &want)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(compact), &fields); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Job", "CreateIndex", "ModifyIndex"} {
		if _, ok := fields[f]; ok {
			t.Errorf("stored value holds %s: %s", f, compact)
		}
	}
}

// TestStoredAllocIsCompact proves that a freshly placed allocation is
// stored in at most three quarters of its full JSON.
func TestStoredAllocIsCompact(t *testing.T) {
	a := testAlloc("8d0b9a4e-3c1f-4b7a-9a51-0e3c2f6a7b10", "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10", 0)
	a.CreateIndex, a.ModifyIndex, a.AllocModifyIndex = 1234567, 1234567, 1234567
	compact, err := encodeAlloc(a, true)
	if err != nil {
		t.Fatal(err)
	}
	full, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if 4*len(compact) > 3*len(full) {
		t.Errorf("stored %d bytes of %d:\n%s", len(compact), len(full), compact)
	}
}
