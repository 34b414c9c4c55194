package etcdstore

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/structs"
)

// testAlloc is an allocation as a plan writes it, on node, with port
// as its one dynamic port (0: none).
func testAlloc(id, node string, port int) *structs.Allocation {
	ar := &structs.AllocatedResources{
		Tasks: map[string]*structs.AllocatedTaskResources{"t": {
			Cpu: structs.AllocatedCpuResources{CpuShares: 10}, Memory: structs.AllocatedMemoryResources{MemoryMB: 10}}},
		Shared: structs.AllocatedSharedResources{DiskMB: 300},
	}
	if port != 0 {
		ar.Shared.Ports = []structs.PortMapping{{Label: "http", Value: port, To: port}}
	}
	return &structs.Allocation{ID: id, Namespace: "default", EvalID: "e1", Name: "web.g[0]", NodeID: node,
		NodeName: "n-" + node, JobID: "web", TaskGroup: "g", AllocatedResources: ar,
		Metrics: &structs.AllocMetric{NodesEvaluated: 3, NodesInPool: 3, NodesAvailable: map[string]int{"dc1": 3},
			Scores: map[string]float64{node: 0.5, "other": 0.25}},
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		CreateTime: 1, ModifyTime: 2}
}

// decodeStored encodes a as a plan writes it and decodes it back.
func decodeStored(t *testing.T, a *structs.Allocation) *structs.Allocation {
	t.Helper()
	v, err := encodeAlloc(a, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeAlloc(&mvccpb.KeyValue{Key: []byte("k"), Value: []byte(v), CreateRevision: 4, ModRevision: 9})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDecodeAllocRoundTrips proves that sharing changes nothing an
// allocation reads: every field decodes as it was written, with or
// without the shared parts.
func TestDecodeAllocRoundTrips(t *testing.T) {
	bare := testAlloc("a0", "n0", 0)
	bare.AllocatedResources, bare.Metrics = nil, nil
	for _, a := range []*structs.Allocation{testAlloc("a1", "n1", 0), testAlloc("a2", "n1", 25000), bare} {
		got := decodeStored(t, a)
		want := *a
		want.CreateIndex, want.ModifyIndex, want.AllocModifyIndex = 4, 9, 9
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("decoded %+v\nwant    %+v", got, &want)
		}
	}
}

// TestDecodeAllocShares proves that allocations with the same resources
// and node counts share one decoded value, that their strings are
// interned, and that allocations whose ports differ do not share.
func TestDecodeAllocShares(t *testing.T) {
	a := decodeStored(t, testAlloc("a1", "n1", 0))
	b := decodeStored(t, testAlloc("a2", "n1", 0))
	if a.AllocatedResources != b.AllocatedResources {
		t.Error("equal AllocatedResources are not shared")
	}
	if reflect.ValueOf(a.Metrics.NodesAvailable).UnsafePointer() != reflect.ValueOf(b.Metrics.NodesAvailable).UnsafePointer() {
		t.Error("equal NodesAvailable are not shared")
	}
	if unsafeData(a.NodeID) != unsafeData(b.NodeID) || unsafeData(a.JobID) != unsafeData(b.JobID) {
		t.Error("node and job IDs are not interned")
	}
	for k := range a.Metrics.Scores {
		if _, ok := b.Metrics.Scores[k]; !ok {
			t.Fatalf("scores differ: %v %v", a.Metrics.Scores, b.Metrics.Scores)
		}
	}
	p1 := decodeStored(t, testAlloc("a3", "n1", 25000))
	p2 := decodeStored(t, testAlloc("a4", "n1", 25001))
	if p1.AllocatedResources == p2.AllocatedResources || p2.AllocatedResources.Shared.Ports[0].Value != 25001 {
		t.Errorf("different ports share resources: %+v", p2.AllocatedResources.Shared.Ports)
	}
}

// unsafeData is the address of s's bytes: interned strings share it.
func unsafeData(s string) *byte { return unsafe.StringData(s) }

// TestSharedCacheIsBounded proves that values that differ for every
// allocation (dynamic ports) do not make the shared cache grow without
// bound, and that bad stored JSON is an error, not a panic.
func TestSharedCacheIsBounded(t *testing.T) {
	c := newSharedCache[*structs.AllocatedResources]()
	for i := range sharedCacheMax + 10 {
		raw := fmt.Sprintf(`{"Shared":{"DiskMB":%d}}`, i)
		v, err := c.get([]byte(raw))
		if err != nil || v.Shared.DiskMB != int64(i) {
			t.Fatalf("get(%s) = %+v, %v", raw, v, err)
		}
	}
	if n := len(c.m); n > sharedCacheMax {
		t.Fatalf("cache holds %d values, more than %d", n, sharedCacheMax)
	}
	for _, raw := range []string{`{"Shared":{"DiskMB":"x"}}`, `{"Tasks":[1]}`} {
		if _, err := c.get([]byte(raw)); err == nil {
			t.Errorf("get(%s): no error", raw)
		}
	}
	bad := `{"ID":"a","AllocatedResources":{"Tasks":7},"Metrics":{"NodesAvailable":[]}}`
	if _, err := decodeAlloc(&mvccpb.KeyValue{Key: []byte("k"), Value: []byte(bad)}); err == nil || !strings.Contains(err.Error(), "decode k") {
		t.Errorf("decodeAlloc of bad resources = %v, want an error naming the key", err)
	}
}
