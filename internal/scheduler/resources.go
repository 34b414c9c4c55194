package scheduler

import (
	"github.com/wharf-project/wharf/internal/structs"
)

// ask is the CPU, memory and disk one allocation of a group needs.
type ask struct {
	cpu, mem, disk int64
}

// groupAsk sums the group's tasks; disk is the group's ephemeral disk, or
// the tasks' disk when the group sets none.
func groupAsk(tg *structs.TaskGroup) ask {
	var a ask
	var taskDisk int64
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		a.cpu += int64(t.Resources.CPU)
		a.mem += int64(t.Resources.MemoryMB)
		taskDisk += int64(t.Resources.DiskMB)
	}
	a.disk = taskDisk
	if tg.EphemeralDisk != nil {
		a.disk = int64(tg.EphemeralDisk.SizeMB)
	}
	return a
}

// nodeState is one candidate node as this evaluation sees it: capacity,
// what existing and proposed allocations use, and cached verdicts. Usage
// is computed on the first visit (init), once per evaluation.
type nodeState struct {
	node    *structs.Node
	addr    string // the node's address, looked up on first placement
	addrSet bool
	// ready is true once init ran.
	ready bool

	cpuCap, memCap, diskCap    int64 // diskCap < 0: the node reports no disk, not checked
	cpuUsed, memUsed, diskUsed int64

	ports          portSet
	reserved       []portRange
	dynMin, dynMax int
	dynFree        int // free ports in [dynMin, dynMax]

	jobCount int32 // live allocations of the job, any group
	tgCount  int32 // live allocations of the current group

	feasGen int32 // group generation feasOK/feasKey belong to
	feasOK  bool
	feasKey string
}

// init computes capacity and usage from the node and its allocations
// (or the State's per-node summary), leaving out those this plan stops.
// buf is scratch space returned for reuse.
func (ns *nodeState) init(st State, stops *stopSet, buf []int) []int {
	ns.ready = true
	n := ns.node
	ns.dynMin, ns.dynMax = structs.DefaultMinDynamicPort, structs.DefaultMaxDynamicPort
	ns.diskCap = -1
	if r := n.NodeResources; r != nil {
		ns.cpuCap, ns.memCap = r.Cpu.CpuShares, r.Memory.MemoryMB
		if r.Disk.DiskMB > 0 {
			ns.diskCap = r.Disk.DiskMB
		}
		if r.MinDynamicPort > 0 && r.MaxDynamicPort >= r.MinDynamicPort && r.MaxDynamicPort <= maxPort {
			ns.dynMin, ns.dynMax = r.MinDynamicPort, r.MaxDynamicPort
		}
	}
	if rr := n.ReservedResources; rr != nil {
		ns.cpuCap -= int64(rr.Cpu.CpuShares)
		ns.memCap -= int64(rr.Memory.MemoryMB)
		if ns.diskCap >= 0 {
			ns.diskCap -= int64(rr.Disk.DiskMB)
		}
		ns.reserved = parseReservedPorts(rr.Networks.ReservedHostPorts)
	}
	ns.dynFree = ns.dynMax - ns.dynMin + 1 - ns.reservedInDynRange()
	if us, ok := st.(UsageSummaryState); ok {
		return ns.initFromSummary(us, stops, buf)
	}
	allocs := st.AllocsByNode(n.ID)
	ns.ports.reserve(len(allocs))
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		if stops.has(a.ID) {
			continue
		}
		ns.addUsage(a.AllocatedResources, 1)
	}
	return buf
}

// addUsage adds (sign 1) or removes (sign -1) an allocation's resources
// and host ports: the shared port mappings (or, without them, the shared
// networks) and the tasks' networks.
func (ns *nodeState) addUsage(ar *structs.AllocatedResources, sign int64) {
	if ar == nil {
		return
	}
	for _, t := range ar.Tasks {
		if t == nil {
			continue
		}
		ns.cpuUsed += sign * t.Cpu.CpuShares
		ns.memUsed += sign * t.Memory.MemoryMB
		if len(t.Networks) > 0 {
			ns.networkPorts(t.Networks, sign)
		}
	}
	ns.diskUsed += sign * ar.Shared.DiskMB
	if len(ar.Shared.Ports) == 0 {
		ns.networkPorts(ar.Shared.Networks, sign)
		return
	}
	for _, pm := range ar.Shared.Ports {
		ns.portDelta(pm.Value, sign)
	}
}

// networkPorts adds or removes the ports of networks.
func (ns *nodeState) networkPorts(nets []*structs.NetworkResource, sign int64) {
	for _, nr := range nets {
		if nr == nil {
			continue
		}
		for _, p := range nr.ReservedPorts {
			ns.portDelta(p.Value, sign)
		}
		for _, p := range nr.DynamicPorts {
			ns.portDelta(p.Value, sign)
		}
	}
}

// portDelta takes (sign 1) or releases (sign -1) a port.
func (ns *nodeState) portDelta(p int, sign int64) {
	if sign > 0 {
		ns.takePort(p)
	} else {
		ns.releasePort(p)
	}
}

// address is the node's IP address for port mappings, looked up once.
func (ns *nodeState) address() string {
	if !ns.addrSet {
		ns.addr, ns.addrSet = ns.node.Address(), true
	}
	return ns.addr
}

// fits returns "" when the ask fits the node's free CPU, memory and disk,
// else the exhausted dimension.
func (ns *nodeState) fits(a *ask) string {
	switch {
	case ns.cpuUsed+a.cpu > ns.cpuCap:
		return dimCPU
	case ns.memUsed+a.mem > ns.memCap:
		return dimMemory
	case ns.diskCap >= 0 && ns.diskUsed+a.disk > ns.diskCap:
		return dimDisk
	}
	return ""
}

// commit records a placement's CPU, memory and disk on the node (ports
// are taken when assigned).
func (ns *nodeState) commit(a *ask) {
	ns.cpuUsed += a.cpu
	ns.memUsed += a.mem
	ns.diskUsed += a.disk
}
