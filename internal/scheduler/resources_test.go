package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestGroupAsk(t *testing.T) {
	tg := &structs.TaskGroup{Tasks: []*structs.Task{
		{Resources: &structs.Resources{CPU: 100, MemoryMB: 64, DiskMB: 10}},
		{Resources: &structs.Resources{CPU: 250, MemoryMB: 128, DiskMB: 5}},
		{},
	}}
	if got, want := groupAsk(tg), (ask{cpu: 350, mem: 192, disk: 15}); got != want {
		t.Errorf("ask = %+v, want %+v", got, want)
	}
	tg.EphemeralDisk = &structs.EphemeralDisk{SizeMB: 300}
	if got := groupAsk(tg).disk; got != 300 {
		t.Errorf("disk = %d, want the ephemeral disk", got)
	}
}

func TestNodeStateInit(t *testing.T) {
	n := testNode("n0", "dc1")
	n.ReservedResources = &structs.NodeReservedResources{
		Cpu: structs.NodeReservedCpuResources{CpuShares: 500}, Memory: structs.NodeReservedMemoryResources{MemoryMB: 1024},
		Disk: structs.NodeReservedDiskResources{DiskMB: 1000},
	}
	st := newFakeState(n)
	job := testJob("other", 3)
	live := existingAlloc(job, 0, "n0")
	live.AllocatedResources.Shared.DiskMB = 300
	dead := existingAlloc(job, 1, "n0")
	dead.ClientStatus = structs.AllocClientStatusFailed
	stoppedNow := existingAlloc(job, 2, "n0")
	for _, a := range []*structs.Allocation{live, dead, stoppedNow} {
		st.upsert(a)
	}
	var stops stopSet
	stops.add(stoppedNow)
	for _, state := range []State{st, &usageState{st}} {
		ns := &nodeState{node: n}
		ns.init(state, &stops, nil)
		checkInitUsage(t, ns)
	}
}

// checkInitUsage checks the node state TestNodeStateInit builds.
func checkInitUsage(t *testing.T, ns *nodeState) {
	t.Helper()
	if ns.cpuCap != 3500 || ns.memCap != 7168 || ns.diskCap != 99000 {
		t.Errorf("caps %d %d %d", ns.cpuCap, ns.memCap, ns.diskCap)
	}
	if ns.cpuUsed != 100 || ns.memUsed != 64 || ns.diskUsed != 300 {
		t.Errorf("used %d %d %d", ns.cpuUsed, ns.memUsed, ns.diskUsed)
	}
	tests := []struct {
		a    ask
		want string
	}{
		{ask{cpu: 3400, mem: 7104, disk: 98700}, ""},
		{ask{cpu: 3401}, dimCPU},
		{ask{mem: 7105}, dimMemory},
		{ask{disk: 98701}, dimDisk},
	}
	for _, tt := range tests {
		if got := ns.fits(&tt.a); got != tt.want {
			t.Errorf("fits(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestNodeWithoutDiskIsNotDiskChecked(t *testing.T) {
	n := testNode("n0", "dc1")
	n.NodeResources.Disk.DiskMB = 0
	ns := &nodeState{node: n}
	ns.init(newFakeState(n), &stopSet{}, nil)
	if got := ns.fits(&ask{disk: 1 << 30}); got != "" {
		t.Errorf("fits = %q", got)
	}
}

func TestPlanOwnPlacementsCountAgainstCapacity(t *testing.T) {
	st := newFakeState(testNodes(3, "dc1")...)
	job := testJob("web", 7)
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 4000 // two per node
	res := run(t, st, job)
	as := placed(res.Plan)
	if len(as) != 6 || res.QueuedAllocations["web"] != 1 {
		t.Fatalf("placed %d queued %v", len(as), res.QueuedAllocations)
	}
	for node, n := range countBy(as, nodeOf) {
		if n != 2 {
			t.Errorf("node %s got %d", node, n)
		}
	}
	if m := res.FailedTGAllocs["web"]; m.DimensionExhausted[dimMemory] != 3 {
		t.Errorf("metric %+v", m)
	}
}

func TestScaleDownFreesCapacityForOtherGroup(t *testing.T) {
	job := testJob("web", 1)
	st := newFakeState(testNode("n0", "dc1"))
	st.addJob(job)
	big := existingAlloc(job, 0, "n0")
	big.AllocatedResources.Tasks["server"].Memory.MemoryMB = 8000
	st.upsert(big)
	job2 := copyJob(job)
	job2.TaskGroups[0].Count = 0
	api := job2.TaskGroups[0].Copy()
	api.Name, api.Count = "api", 1
	api.Tasks[0].Resources.MemoryMB = 8000
	job2.TaskGroups = append(job2.TaskGroups, api)
	res := run(t, st, job2)
	if as := placed(res.Plan, big); len(as) != 1 || as[0].TaskGroup != "api" {
		t.Errorf("api not placed in the memory the stopped alloc frees: blocked=%v", res.Blocked)
	}
}
