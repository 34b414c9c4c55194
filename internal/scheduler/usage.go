package scheduler

import (
	"slices"

	"github.com/wharf-project/wharf/internal/structs"
)

// UsageSummaryState is optionally implemented by a State that keeps, per
// node, the sum of what its resource-holding allocations use (those whose
// TerminalStatus is false). With it the scheduler reads one summary per
// visited node instead of every allocation on it, which is what keeps
// evaluations fast on busy clusters.
type UsageSummaryState interface {
	// UsageSummary returns the summed CPU (MHz shares), memory (MB) and disk
	// (MB) of the node's allocations, as AllocatedResources holds them,
	// and appends their host ports to ports: each allocation's shared port
	// mappings (or, when it has none, its shared networks' ports) and its
	// tasks' network ports. Duplicates are allowed.
	UsageSummary(nodeID string, ports []int) (cpu, memMB, diskMB int64, out []int)
}

// stopSet holds the job's allocations that this plan stops (or that a
// placement being searched for replaces), by ID and by node, so node
// usage leaves them out.
type stopSet struct {
	ids    map[string]struct{}
	byNode map[string][]*structs.Allocation
}

// add puts a in the set.
func (s *stopSet) add(a *structs.Allocation) {
	if s.ids == nil {
		s.ids = map[string]struct{}{}
		s.byNode = map[string][]*structs.Allocation{}
	}
	if _, ok := s.ids[a.ID]; ok {
		return
	}
	s.ids[a.ID] = struct{}{}
	s.byNode[a.NodeID] = append(s.byNode[a.NodeID], a)
}

// remove takes a out of the set.
func (s *stopSet) remove(a *structs.Allocation) {
	if _, ok := s.ids[a.ID]; !ok {
		return
	}
	delete(s.ids, a.ID)
	s.byNode[a.NodeID] = slices.DeleteFunc(s.byNode[a.NodeID], func(x *structs.Allocation) bool { return x.ID == a.ID })
}

// has reports whether the allocation with id is in the set.
func (s *stopSet) has(id string) bool {
	_, ok := s.ids[id]
	return ok
}

// initFromSummary fills usage from the State's per-node summary, minus
// the allocations of this plan's stop set on the node. buf is scratch.
func (ns *nodeState) initFromSummary(us UsageSummaryState, stops *stopSet, buf []int) []int {
	var cpu, mem, disk int64
	cpu, mem, disk, buf = us.UsageSummary(ns.node.ID, buf[:0])
	ns.cpuUsed, ns.memUsed, ns.diskUsed = cpu, mem, disk
	ns.adoptPorts(buf)
	for _, a := range stops.byNode[ns.node.ID] {
		if !a.TerminalStatus() {
			ns.addUsage(a.AllocatedResources, -1)
		}
	}
	return buf
}

// adoptPorts takes an unsorted list of used ports (with duplicates) as the
// node's port set.
func (ns *nodeState) adoptPorts(ports []int) {
	ns.ports.reserve(len(ports))
	for _, p := range ports {
		ns.takePort(p)
	}
}
