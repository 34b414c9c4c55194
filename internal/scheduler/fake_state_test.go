package scheduler

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// fakeState is an in-memory State with per-job and per-node indexes and
// stored job versions.
type fakeState struct {
	index    uint64
	nodes    []*structs.Node
	byJob    map[string][]*structs.Allocation
	byNode   map[string][]*structs.Allocation
	byID     map[string]*structs.Allocation
	versions map[uint64]*structs.Job
	usage    map[string]*nodeUsage
}

var (
	_ State             = (*fakeState)(nil)
	_ JobVersionState   = (*fakeState)(nil)
	_ UsageSummaryState = (*usageState)(nil)
)

// usageState is a fakeState that also offers per-node usage summaries.
type usageState struct{ *fakeState }

// UsageSummary sums the node's resource-holding allocations from the index
// upsert keeps.
func (s *usageState) UsageSummary(nodeID string, ports []int) (cpu, mem, disk int64, out []int) {
	u := s.usage[nodeID]
	if u == nil {
		return 0, 0, 0, ports
	}
	return u.cpu, u.mem, u.disk, append(ports, u.ports...)
}

// nodeUsage is the fake's running sum for one node.
type nodeUsage struct {
	cpu, mem, disk int64
	ports          []int
}

// track adds (sign 1) or removes (sign -1) a resource-holding allocation
// from its node's sum.
func (s *fakeState) track(a *structs.Allocation, sign int64) {
	if a.TerminalStatus() || a.AllocatedResources == nil {
		return
	}
	u := s.usage[a.NodeID]
	if u == nil {
		u = &nodeUsage{}
		s.usage[a.NodeID] = u
	}
	ar := a.AllocatedResources
	cpu, mem := ar.Comparable()
	u.cpu += sign * cpu
	u.mem += sign * mem
	u.disk += sign * ar.Shared.DiskMB
	for _, p := range allocPorts(ar) {
		if sign > 0 {
			u.ports = append(u.ports, p)
		} else if i := slices.Index(u.ports, p); i >= 0 {
			u.ports = slices.Delete(u.ports, i, i+1)
		}
	}
}

// reindex rebuilds the usage sums after a test changed allocations in
// place.
func (s *fakeState) reindex() {
	clear(s.usage)
	for _, a := range s.byID {
		s.track(a, 1)
	}
}

// allocPorts lists an allocation's host ports as UsageSummary defines them.
func allocPorts(ar *structs.AllocatedResources) []int {
	var out []int
	nets := func(ns []*structs.NetworkResource) {
		for _, n := range ns {
			for _, p := range n.ReservedPorts {
				out = append(out, p.Value)
			}
			for _, p := range n.DynamicPorts {
				out = append(out, p.Value)
			}
		}
	}
	for _, pm := range ar.Shared.Ports {
		out = append(out, pm.Value)
	}
	if len(ar.Shared.Ports) == 0 {
		nets(ar.Shared.Networks)
	}
	for _, t := range ar.Tasks {
		nets(t.Networks)
	}
	return out
}

// newFakeState returns a state holding nodes.
func newFakeState(nodes ...*structs.Node) *fakeState {
	return &fakeState{index: 100, nodes: nodes, byJob: map[string][]*structs.Allocation{},
		byNode: map[string][]*structs.Allocation{}, byID: map[string]*structs.Allocation{},
		versions: map[uint64]*structs.Job{}, usage: map[string]*nodeUsage{}}
}

func (s *fakeState) Index() uint64                                    { return s.index }
func (s *fakeState) Nodes() []*structs.Node                           { return s.nodes }
func (s *fakeState) AllocsByNode(nodeID string) []*structs.Allocation { return s.byNode[nodeID] }
func (s *fakeState) AllocsByJob(ns, id string) []*structs.Allocation {
	return s.byJob[ns+"/"+id]
}
func (s *fakeState) JobVersion(_, _ string, v uint64) *structs.Job { return s.versions[v] }

// addJob stores a job version.
func (s *fakeState) addJob(j *structs.Job) { s.versions[j.Version] = j }

// upsert adds an allocation or replaces the one with its ID.
func (s *fakeState) upsert(a *structs.Allocation) {
	if old := s.byID[a.ID]; old != nil {
		s.track(old, -1)
		replace(s.byJob[a.Namespace+"/"+a.JobID], old, a)
		replace(s.byNode[old.NodeID], old, a)
	} else {
		s.byJob[a.Namespace+"/"+a.JobID] = append(s.byJob[a.Namespace+"/"+a.JobID], a)
		s.byNode[a.NodeID] = append(s.byNode[a.NodeID], a)
	}
	s.byID[a.ID] = a
	s.track(a, 1)
}

func replace(as []*structs.Allocation, old, a *structs.Allocation) {
	if i := slices.Index(as, old); i >= 0 {
		as[i] = a
	}
}

// apply writes a plan the way the store does: updates merge server-owned
// fields, new or in-place allocations are upserted.
func (s *fakeState) apply(p *structs.Plan) {
	for _, as := range p.NodeUpdate {
		for _, u := range as {
			cp := s.byID[u.ID].Copy()
			cp.DesiredStatus, cp.DesiredDescription = u.DesiredStatus, u.DesiredDescription
			cp.ClientStatus, cp.NextAllocation = u.ClientStatus, u.NextAllocation
			s.upsert(cp)
		}
	}
	for _, as := range p.NodeAllocation {
		for _, a := range as {
			s.upsert(a)
		}
	}
	s.index++
}

// testNow is the evaluation time of tests.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testNode is a ready node in dc with 4000 MHz, 8 GiB, healthy raw_exec
// and pot drivers.
func testNode(id, dc string) *structs.Node {
	healthy := &structs.DriverInfo{Detected: true, Healthy: true}
	return &structs.Node{
		ID: id, Name: "node-" + id, Datacenter: dc, Status: structs.NodeStatusReady,
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Attributes: map[string]string{
			"kernel.name": "linux", "unique.network.ip-address": "192.0.2.1",
			"cpu.numcores": "4", "os.version": "13.1",
		},
		Meta: map[string]string{"rack": "r1"},
		NodeResources: &structs.NodeResources{
			Cpu: structs.NodeCpuResources{CpuShares: 4000}, Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk: structs.NodeDiskResources{DiskMB: 100000},
		},
		Drivers: map[string]*structs.DriverInfo{"raw_exec": healthy, "pot": healthy},
	}
}

// testNodes returns n nodes named n0, n1... in dc.
func testNodes(n int, dc string) []*structs.Node {
	out := make([]*structs.Node, n)
	for i := range out {
		out[i] = testNode(fmt.Sprintf("n%d", i), dc)
	}
	return out
}

// testJob is a service job in dc1 with one group "web" of count allocations
// of one raw_exec task (100 MHz, 64 MB) and one dynamic port "http".
func testJob(id string, count int) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Namespace: "default", Type: structs.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: count,
			Networks: []*structs.NetworkResource{{Mode: "host", DynamicPorts: []structs.Port{{Label: "http"}}}},
			Tasks: []*structs.Task{{
				Name: "server", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep"},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
	}
}

// evalFor is a pending evaluation of job.
func evalFor(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{ID: "eval-" + job.ID, Namespace: job.Namespace, JobID: job.ID,
		Type: job.Type, Priority: job.Priority, TriggeredBy: structs.EvalTriggerJobRegister,
		Status: structs.EvalStatusPending}
}

// testOpts are deterministic options.
func testOpts() Options {
	return Options{Now: testNow, Rand: rand.New(rand.NewPCG(1, 2))}
}

// run processes an evaluation of job on st and fails the test on error.
func run(t testing.TB, st State, job *structs.Job) *Result {
	t.Helper()
	return runEval(t, st, evalFor(job), job)
}

// runEval processes eval against job on st.
func runEval(t testing.TB, st State, eval *structs.Evaluation, job *structs.Job) *Result {
	t.Helper()
	res, err := Process(st, eval, job, testOpts())
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

// placed lists a plan's new allocations (not in-place updates of
// existing IDs) sorted by name.
func placed(p *structs.Plan, existing ...*structs.Allocation) []*structs.Allocation {
	var out []*structs.Allocation
	for _, as := range p.NodeAllocation {
		for _, a := range as {
			if !slices.ContainsFunc(existing, func(e *structs.Allocation) bool { return e.ID == a.ID }) {
				out = append(out, a)
			}
		}
	}
	sortAllocs(out)
	return out
}

// stopped lists a plan's stopped allocations sorted by name.
func stopped(p *structs.Plan) []*structs.Allocation {
	var out []*structs.Allocation
	for _, as := range p.NodeUpdate {
		out = append(out, as...)
	}
	sortAllocs(out)
	return out
}

func sortAllocs(as []*structs.Allocation) {
	slices.SortFunc(as, func(x, y *structs.Allocation) int {
		return cmp.Or(cmp.Compare(nameIndex(x.Name), nameIndex(y.Name)), cmp.Compare(x.Name, y.Name))
	})
}

// names returns the allocations' names.
func names(as []*structs.Allocation) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

// existingAlloc is a running allocation of job's group "web" at index idx
// on node, as the store would hold it.
func existingAlloc(job *structs.Job, idx int, node string) *structs.Allocation {
	tg := job.TaskGroups[0]
	return &structs.Allocation{
		ID: fmt.Sprintf("a-%s-%d", job.ID, idx), Namespace: job.Namespace, EvalID: "old-eval",
		Name: structs.AllocName(job.ID, tg.Name, idx), NodeID: node, JobID: job.ID,
		JobVersion: job.Version, TaskGroup: tg.Name,
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"server": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 100}, Memory: structs.AllocatedMemoryResources{MemoryMB: 64},
			}},
		},
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusRunning,
		CreateTime: testNow.Add(-time.Hour).UnixNano(), ModifyTime: testNow.Add(-time.Hour).UnixNano(),
	}
}

// countBy counts allocations per key.
func countBy(as []*structs.Allocation, key func(*structs.Allocation) string) map[string]int {
	out := map[string]int{}
	for _, a := range as {
		out[key(a)]++
	}
	return out
}

func nodeOf(a *structs.Allocation) string { return a.NodeID }
