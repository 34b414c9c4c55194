package index

import (
	"errors"
	"slices"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// nodeSummary is what one node's resource-holding allocations (those whose
// TerminalStatus is false) use, summed from their AllocatedResources. The
// write transaction that changes a node's allocations changes its summary
// too, so every snapshot's summaries match its allocations exactly.
// Committed summaries are immutable: a transaction changes a clone.
type nodeSummary struct {
	NodeID         string
	count          int // resource-holding allocations summed
	cpu, mem, disk int64
	ports          portBag
}

// clone returns a copy of s that a transaction may change.
func (s *nodeSummary) clone() *nodeSummary {
	c := *s
	c.ports = s.ports.clone()
	return &c
}

// usage is what one allocation adds to its node's summary.
type usage struct {
	cpu, mem, disk int64
	ports          []int
}

// allocUsage returns what a adds to its node's summary, with its host
// ports appended to buf: the tasks' network ports and the shared port
// mappings (or, when there are none, the shared networks' ports). holds is
// false, and u empty, when a is nil, terminal or on no node.
func allocUsage(a *structs.Allocation, buf []int) (u usage, holds bool) {
	u.ports = buf[:0]
	if a == nil || a.NodeID == "" || a.TerminalStatus() {
		return u, false
	}
	ar := a.AllocatedResources
	if ar == nil {
		return u, true
	}
	for _, t := range ar.Tasks {
		if t == nil {
			continue
		}
		u.cpu += t.Cpu.CpuShares
		u.mem += t.Memory.MemoryMB
		u.ports = appendNetworkPorts(u.ports, t.Networks)
	}
	u.disk = ar.Shared.DiskMB
	if len(ar.Shared.Ports) == 0 {
		u.ports = appendNetworkPorts(u.ports, ar.Shared.Networks)
	}
	for _, pm := range ar.Shared.Ports {
		u.ports = append(u.ports, pm.Value)
	}
	return u, true
}

// appendNetworkPorts appends the reserved and dynamic ports of nets.
func appendNetworkPorts(out []int, nets []*structs.NetworkResource) []int {
	for _, nr := range nets {
		if nr == nil {
			continue
		}
		for _, p := range nr.ReservedPorts {
			out = append(out, p.Value)
		}
		for _, p := range nr.DynamicPorts {
			out = append(out, p.Value)
		}
	}
	return out
}

// sameUsage reports whether u and v use the same resources and ports. It
// sorts both port lists.
func sameUsage(u, v usage) bool {
	if u.cpu != v.cpu || u.mem != v.mem || u.disk != v.disk || len(u.ports) != len(v.ports) {
		return false
	}
	slices.Sort(u.ports)
	slices.Sort(v.ports)
	return slices.Equal(u.ports, v.ports)
}

// add adds (sign 1) or removes (sign -1) one allocation's usage, in a
// transaction of generation gen.
func (s *nodeSummary) add(u usage, sign int, gen uint64) {
	s.count += sign
	s.cpu += int64(sign) * u.cpu
	s.mem += int64(sign) * u.mem
	s.disk += int64(sign) * u.disk
	for _, p := range u.ports {
		if sign > 0 {
			s.ports.add(p, gen)
		} else {
			s.ports.remove(p, gen)
		}
	}
}

// priorAlloc returns the allocation with id as the transaction holds it
// so far, or nil. It reads the transaction's own writes and, for the
// rest, the state the transaction began from, never the write
// transaction itself (whose write cache a read would drop), and
// remembers what it read: a store that reads an allocation before
// replacing it pays one lookup, not two.
func (t *Txn) priorAlloc(id string) *structs.Allocation {
	if a, ok := t.allocs[id]; ok {
		return a
	}
	if t.cleared {
		return nil
	}
	raw, err := t.base.First(string(state.TableAllocs), "id", id)
	t.note(err)
	a, _ := raw.(*structs.Allocation)
	t.allocs[id] = a
	return a
}

// resum moves the usage of an allocation that changed from old to cur
// (either may be nil) in the node summaries.
func (t *Txn) resum(old, cur *structs.Allocation) {
	if old != nil && cur != nil && old.AllocatedResources == cur.AllocatedResources &&
		old.NodeID == cur.NodeID && old.TerminalStatus() == cur.TerminalStatus() {
		return
	}
	ou, oldHolds := allocUsage(old, t.scratch[0])
	cu, curHolds := allocUsage(cur, t.scratch[1])
	t.scratch[0], t.scratch[1] = ou.ports, cu.ports
	if oldHolds && curHolds && old.NodeID == cur.NodeID && sameUsage(ou, cu) {
		return
	}
	if oldHolds {
		t.summaryToChange(old.NodeID).add(ou, -1, t.gen)
	}
	if curHolds {
		t.summaryToChange(cur.NodeID).add(cu, 1, t.gen)
	}
}

// summaryToChange returns the transaction's own copy of the node's
// summary, making it on first use.
func (t *Txn) summaryToChange(nodeID string) *nodeSummary {
	if s, ok := t.summaries[nodeID]; ok {
		return s
	}
	s := &nodeSummary{NodeID: nodeID}
	if prior := t.priorSummary(nodeID); prior != nil {
		s = prior.clone()
	}
	t.summaries[nodeID] = s
	return s
}

// priorSummary returns the node's summary as the transaction holds it so
// far, or nil; the result must not be changed.
func (t *Txn) priorSummary(nodeID string) *nodeSummary {
	if s, ok := t.summaries[nodeID]; ok {
		return s
	}
	if t.cleared {
		return nil
	}
	return committedSummary(t.base, nodeID)
}

// committedSummary reads the node's summary from a read transaction.
func committedSummary(txn *memdb.Txn, nodeID string) *nodeSummary {
	raw, _ := txn.First(tableNodeSummary, "id", nodeID)
	if raw == nil {
		return nil
	}
	return raw.(*nodeSummary)
}

// flushSummaries stores the summaries the transaction changed, dropping
// those of nodes left without resource-holding allocations.
func (t *Txn) flushSummaries() {
	for _, s := range t.summaries {
		if s.count > 0 {
			t.note(t.txn.Insert(tableNodeSummary, s))
			continue
		}
		if err := t.txn.Delete(tableNodeSummary, s); !errors.Is(err, memdb.ErrNotFound) {
			t.note(err)
		}
	}
}

// UsageSummary returns the summed CPU (MHz shares), memory (MB) and disk
// (MB) of the node's allocations whose TerminalStatus is false, as their
// AllocatedResources hold them, and appends their host ports to ports
// (in no particular order, duplicates kept). It reads one stored summary
// per call, whatever the number of allocations on the node.
func (s *Snapshot) UsageSummary(nodeID string, ports []int) (cpu, memMB, diskMB int64, out []int) {
	var sum *nodeSummary
	if s.w != nil {
		sum = s.w.priorSummary(nodeID)
	} else {
		sum = committedSummary(s.txn, nodeID)
	}
	if sum == nil {
		return 0, 0, 0, ports
	}
	return sum.cpu, sum.mem, sum.disk, sum.ports.appendTo(ports)
}
