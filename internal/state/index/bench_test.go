package index

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// benchAlloc returns a pending allocation on node with 100 MHz, 128 MB,
// 300 MB of disk and one host port.
func benchAlloc(id, node string, port int) *structs.Allocation {
	return &structs.Allocation{
		ID: id, Namespace: "default", JobID: "web", NodeID: node, TaskGroup: "web",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"app": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 100}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128},
			}},
			Shared: structs.AllocatedSharedResources{DiskMB: 300,
				Ports: []structs.PortMapping{{Label: "http", Value: port, To: 80}}},
		},
	}
}

// BenchmarkTxnUpsertAllocs10k writes 10,000 new allocations over 1,000
// nodes in one transaction, as the etcd store applies a big plan.
func BenchmarkTxnUpsertAllocs10k(b *testing.B) {
	x := New()
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

// BenchmarkTxnReplaceOnBusyNode replaces one allocation (stop the old,
// place a new one) per transaction on a node holding 5,000.
func BenchmarkTxnReplaceOnBusyNode(b *testing.B) {
	x := New()
	const busy = 5000
	txn := x.Txn()
	live := make([]*structs.Allocation, busy)
	for j := range live {
		live[j] = benchAlloc(fmt.Sprintf("init-%05d", j), "busy", 20000+j)
		txn.UpsertAlloc(live[j])
	}
	if err := txn.Commit(1); err != nil {
		b.Fatal(err)
	}
	idx := uint64(2)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		k := i % busy
		stop := *live[k]
		stop.DesiredStatus = structs.AllocDesiredStatusStop
		next := benchAlloc(fmt.Sprintf("next-%09d", i), "busy", live[k].AllocatedResources.Shared.Ports[0].Value)
		b.StartTimer()
		txn := x.Txn()
		txn.UpsertAlloc(&stop)
		txn.UpsertAlloc(next)
		if err := txn.Commit(idx); err != nil {
			b.Fatal(err)
		}
		live[k] = next
		idx++
	}
}
