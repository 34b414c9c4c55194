package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/structs"
)

var _ scheduler.UsageSummaryState = (*Snapshot)(nil)

// summaryView is what UsageSummary reports for one node, ports sorted.
type summaryView struct {
	cpu, mem, disk int64
	ports          []int
}

func (v summaryView) String() string {
	return fmt.Sprintf("cpu %d mem %d disk %d ports %v", v.cpu, v.mem, v.disk, v.ports)
}

func (v summaryView) equal(w summaryView) bool {
	return v.cpu == w.cpu && v.mem == w.mem && v.disk == w.disk && slices.Equal(v.ports, w.ports)
}

// summaryOf reads the node's summary from snap.
func summaryOf(snap *Snapshot, nodeID string) summaryView {
	cpu, mem, disk, ports := snap.UsageSummary(nodeID, nil)
	slices.Sort(ports)
	return summaryView{cpu, mem, disk, ports}
}

// bruteSummary sums the node's allocations from AllocsByNode, the way the
// scheduler does without summaries.
func bruteSummary(snap *Snapshot, nodeID string) summaryView {
	var v summaryView
	nets := func(ns []*structs.NetworkResource) {
		for _, n := range ns {
			if n == nil {
				continue
			}
			for _, p := range append(slices.Clone(n.ReservedPorts), n.DynamicPorts...) {
				v.ports = append(v.ports, p.Value)
			}
		}
	}
	for _, a := range snap.AllocsByNode(nodeID) {
		ar := a.AllocatedResources
		if a.TerminalStatus() || ar == nil {
			continue
		}
		cpu, mem := ar.Comparable()
		v.cpu, v.mem, v.disk = v.cpu+cpu, v.mem+mem, v.disk+ar.Shared.DiskMB
		for _, t := range ar.Tasks {
			nets(t.Networks)
		}
		if len(ar.Shared.Ports) == 0 {
			nets(ar.Shared.Networks)
		}
		for _, pm := range ar.Shared.Ports {
			v.ports = append(v.ports, pm.Value)
		}
	}
	slices.Sort(v.ports)
	return v
}

// randPorts returns up to n ports from a range spanning a few portBag
// buckets, duplicates possible.
func randPorts(r *rand.Rand, n int) []structs.Port {
	var out []structs.Port
	for range r.IntN(n + 1) {
		out = append(out, structs.Port{Label: "p", Value: 20000 + r.IntN(700)})
	}
	return out
}

// randNets returns up to two networks with random ports, or nil.
func randNets(r *rand.Rand) []*structs.NetworkResource {
	var out []*structs.NetworkResource
	for range r.IntN(3) {
		out = append(out, &structs.NetworkResource{ReservedPorts: randPorts(r, 1), DynamicPorts: randPorts(r, 2)})
	}
	if r.IntN(8) == 0 {
		out = append(out, nil)
	}
	return out
}

// randResources returns random allocated resources (sometimes none).
func randResources(r *rand.Rand) *structs.AllocatedResources {
	if r.IntN(10) == 0 {
		return nil
	}
	ar := &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{}}
	for i := range r.IntN(3) {
		ar.Tasks[fmt.Sprint("t", i)] = &structs.AllocatedTaskResources{
			Cpu:      structs.AllocatedCpuResources{CpuShares: int64(r.IntN(500))},
			Memory:   structs.AllocatedMemoryResources{MemoryMB: int64(r.IntN(1024))},
			Networks: randNets(r),
		}
	}
	ar.Shared.DiskMB = int64(r.IntN(300))
	ar.Shared.Networks = randNets(r)
	for _, p := range randPorts(r, 2) {
		ar.Shared.Ports = append(ar.Shared.Ports, structs.PortMapping{Label: p.Label, Value: p.Value})
	}
	return ar
}

var (
	desiredStatuses = []string{structs.AllocDesiredStatusRun, structs.AllocDesiredStatusStop, structs.AllocDesiredStatusEvict}
	clientStatuses  = []string{structs.AllocClientStatusPending, structs.AllocClientStatusRunning,
		structs.AllocClientStatusComplete, structs.AllocClientStatusFailed, structs.AllocClientStatusLost,
		structs.AllocClientStatusUnknown}
)

// summaryModel drives random allocation writes against an index.
type summaryModel struct {
	r     *rand.Rand
	nodes []string
	ids   []string
}

// randAlloc returns a new random allocation with id.
func (m *summaryModel) randAlloc(id string) *structs.Allocation {
	return &structs.Allocation{ID: id, Namespace: "default", JobID: fmt.Sprint("job", m.r.IntN(3)),
		NodeID: m.nodes[m.r.IntN(len(m.nodes))], AllocatedResources: randResources(m.r),
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending}
}

// write makes one random change to the allocation with a random ID.
func (m *summaryModel) write(txn *Txn) {
	id := m.ids[m.r.IntN(len(m.ids))]
	cur := txn.Snapshot().Alloc(id)
	if cur == nil {
		txn.UpsertAlloc(m.randAlloc(id))
		return
	}
	c := cur.Copy()
	switch m.r.IntN(8) {
	case 0:
		txn.DeleteAlloc(id)
		return
	case 1:
		c.AllocatedResources = randResources(m.r)
	case 2:
		c.NodeID = m.nodes[m.r.IntN(len(m.nodes))]
	case 3, 4:
		c.ClientStatus = clientStatuses[m.r.IntN(len(clientStatuses))]
	case 5:
		c.DesiredStatus = desiredStatuses[m.r.IntN(len(desiredStatuses))]
	case 6:
		c = m.randAlloc(id)
	}
	txn.UpsertAlloc(c)
}

// check compares every node's summary in snap with a brute-force sum,
// and what Alloc returns with what the allocations table holds.
func (m *summaryModel) check(t *testing.T, step int, what string, snap *Snapshot) map[string]summaryView {
	t.Helper()
	views := map[string]summaryView{}
	for _, n := range m.nodes {
		got, want := summaryOf(snap, n), bruteSummary(snap, n)
		if !got.equal(want) {
			t.Fatalf("step %d (%s), node %s:\n got  %v\n want %v", step, what, n, got, want)
		}
		views[n] = got
	}
	for _, id := range m.ids {
		if got, want := snap.Alloc(id), first[structs.Allocation](snap, "allocs", "id", id); got != want {
			t.Fatalf("step %d (%s): Alloc(%s) = %p, the table holds %p", step, what, id, got, want)
		}
	}
	return views
}

func TestUsageSummaryMatchesAllocs(t *testing.T) {
	cases := []struct {
		name          string
		seeds         uint64
		steps, allocs int
		nodes         []string
	}{
		{"few allocs", 12, 250, 25, []string{"n1", "n2", "n3", ""}},
		{"busy nodes", 2, 400, 500, []string{"n1", "n2"}},
	}
	for _, c := range cases {
		for seed := range c.seeds {
			t.Run(fmt.Sprint(c.name, "/seed", seed), func(t *testing.T) {
				runSummaryModel(t, seed, c.steps, c.allocs, c.nodes)
			})
		}
	}
}

// runSummaryModel applies steps random transactions to up to allocs
// allocations on nodes and checks every node's summary after each write
// and commit, and that older snapshots keep their summaries.
func runSummaryModel(t *testing.T, seed uint64, steps, allocs int, nodes []string) {
	r := rand.New(rand.NewPCG(seed, 42))
	m := &summaryModel{r: r, nodes: nodes}
	for i := range allocs {
		m.ids = append(m.ids, fmt.Sprintf("a%04d", i))
	}
	x := New()
	type kept struct {
		snap  *Snapshot
		views map[string]summaryView
	}
	var old []kept
	for step := 1; step <= steps; step++ {
		txn := x.Txn()
		if r.IntN(40) == 0 {
			reload(txn, x.Snapshot().Allocs(), r)
		}
		for range 1 + r.IntN(4) {
			m.write(txn)
			m.check(t, step, "in transaction", txn.Snapshot())
		}
		if r.IntN(15) == 0 {
			txn.Abort()
		} else if err := txn.Commit(uint64(step)); err != nil {
			t.Fatal(err)
		}
		snap := x.Snapshot()
		old = append(old, kept{snap, m.check(t, step, "committed", snap)})
		for _, k := range old {
			for n, v := range k.views {
				if got := summaryOf(k.snap, n); !got.equal(v) {
					t.Fatalf("step %d: snapshot %d of node %s changed:\n got  %v\n want %v", step, k.snap.Index(), n, got, v)
				}
			}
		}
	}
}

// reload clears the index in txn and puts back a random subset of allocs,
// as the etcd store does when it reloads.
func reload(txn *Txn, allocs []*structs.Allocation, r *rand.Rand) {
	txn.Clear()
	for _, a := range allocs {
		if r.IntN(4) > 0 {
			txn.UpsertAlloc(a)
		}
	}
}

func TestUsageSummaryOfUnknownNode(t *testing.T) {
	x := New()
	buf := []int{1}
	cpu, mem, disk, out := x.Snapshot().UsageSummary("nope", buf)
	if cpu != 0 || mem != 0 || disk != 0 || !slices.Equal(out, []int{1}) {
		t.Fatalf("empty summary: %d %d %d %v", cpu, mem, disk, out)
	}
}

func TestAllocWithoutNodeHasNoSummary(t *testing.T) {
	x := New()
	commit(t, x, 1, func(txn *Txn) { txn.UpsertAlloc(benchAlloc("a", "", 20000)) })
	if cpu, _, _, ports := x.Snapshot().UsageSummary("", nil); cpu != 0 || len(ports) != 0 {
		t.Fatalf("summary of no node: cpu %d ports %v", cpu, ports)
	}
}

func TestUsageSummaryRowDroppedWhenNodeEmpties(t *testing.T) {
	x := New()
	a := benchAlloc("a", "n", 20000)
	commit(t, x, 1, func(txn *Txn) { txn.UpsertAlloc(a) })
	if cpu, _, _, ports := x.Snapshot().UsageSummary("n", nil); cpu != 100 || !slices.Equal(ports, []int{20000}) {
		t.Fatalf("summary after placement: cpu %d ports %v", cpu, ports)
	}
	done := a.Copy()
	done.ClientStatus = structs.AllocClientStatusComplete
	commit(t, x, 2, func(txn *Txn) { txn.UpsertAlloc(done) })
	if raw, _ := x.Snapshot().txn.First(tableNodeSummary, "id", "n"); raw != nil {
		t.Fatalf("summary row kept for a node without resource-holding allocations: %+v", raw)
	}
}
