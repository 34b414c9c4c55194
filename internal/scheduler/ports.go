package scheduler

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// maxPort is the highest TCP/UDP port.
const maxPort = 65535

// portSetSmall is how many ports a portSet keeps in its hash table before
// it switches to a bitmap.
const portSetSmall = 1024

// portSet is a set of host ports: a small open-addressing hash table
// (linear probing, 0 marks a free slot) for the usual few dozen ports per
// node, a 64 Kib bitmap once it holds more than portSetSmall.
type portSet struct {
	slots []uint16
	n     int
	bits  *[(maxPort + 1) / 64]uint64
}

// portSlot is the home slot of p in a table of mask+1 slots.
func portSlot(p uint16, mask int) int {
	return int((uint32(p)*0x9E3779B1)>>16) & mask
}

// reserve sizes the table for about n ports.
func (s *portSet) reserve(n int) {
	if s.bits == nil && s.slots == nil && n > 0 && n <= portSetSmall {
		s.rehash(max(16, 1<<bits.Len(uint(2*n))))
	}
}

// has reports whether p is in the set.
func (s *portSet) has(p int) bool {
	if p <= 0 || p > maxPort {
		return false
	}
	if s.bits != nil {
		return s.bits[p>>6]&(1<<(p&63)) != 0
	}
	return s.find(uint16(p)) >= 0
}

// find returns the slot holding p, or -1.
func (s *portSet) find(p uint16) int {
	if s.n == 0 {
		return -1
	}
	mask := len(s.slots) - 1
	for i := portSlot(p, mask); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case p:
			return i
		case 0:
			return -1
		}
	}
}

// add inserts p and reports whether it was new.
func (s *portSet) add(p int) bool {
	if p <= 0 || p > maxPort || s.has(p) {
		return false
	}
	if s.bits == nil && s.n >= portSetSmall {
		s.toBitmap()
	}
	if s.bits != nil {
		s.bits[p>>6] |= 1 << (p & 63)
		return true
	}
	if 2*(s.n+1) > len(s.slots) {
		s.rehash(max(16, 2*len(s.slots)))
	}
	s.insert(uint16(p))
	return true
}

// insert puts p, known absent, in the table.
func (s *portSet) insert(p uint16) {
	mask := len(s.slots) - 1
	i := portSlot(p, mask)
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = p
	s.n++
}

// rehash moves the table to size slots.
func (s *portSet) rehash(size int) {
	old := s.slots
	s.slots, s.n = make([]uint16, size), 0
	for _, q := range old {
		if q != 0 {
			s.insert(q)
		}
	}
}

// toBitmap switches to the bitmap form.
func (s *portSet) toBitmap() {
	s.bits = new([(maxPort + 1) / 64]uint64)
	for _, q := range s.slots {
		if q != 0 {
			s.bits[q>>6] |= 1 << (q & 63)
		}
	}
	s.slots = nil
}

// remove deletes p and reports whether it was there.
func (s *portSet) remove(p int) bool {
	if !s.has(p) {
		return false
	}
	if s.bits != nil {
		s.bits[p>>6] &^= 1 << (p & 63)
		return true
	}
	s.deleteAt(s.find(uint16(p)))
	return true
}

// deleteAt empties slot i, shifting later entries of the probe run back
// so lookups still find them.
func (s *portSet) deleteAt(i int) {
	mask := len(s.slots) - 1
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		home := portSlot(s.slots[j], mask)
		// The entry at j may move to i unless its home lies cyclically in (i, j].
		if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
}

// portRange is an inclusive range of ports.
type portRange struct{ lo, hi int }

// parseReservedPorts parses "22,80,8000-8100"; malformed items are ignored.
func parseReservedPorts(s string) []portRange {
	var out []portRange
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || l <= 0 || h < l || h > maxPort {
			continue
		}
		out = append(out, portRange{lo: l, hi: h})
	}
	return out
}

// inRanges reports whether p is in one of the ranges.
func inRanges(rs []portRange, p int) bool {
	for _, r := range rs {
		if p >= r.lo && p <= r.hi {
			return true
		}
	}
	return false
}

// portFree reports whether p is neither used nor reserved on the node.
func (ns *nodeState) portFree(p int) bool {
	return !ns.ports.has(p) && !inRanges(ns.reserved, p)
}

// inDynRange reports whether p is in the node's dynamic port range.
func (ns *nodeState) inDynRange(p int) bool { return p >= ns.dynMin && p <= ns.dynMax }

// takePort marks p used, keeping the count of free dynamic ports.
func (ns *nodeState) takePort(p int) {
	if ns.ports.add(p) && ns.inDynRange(p) && !inRanges(ns.reserved, p) {
		ns.dynFree--
	}
}

// releasePort marks p free again.
func (ns *nodeState) releasePort(p int) {
	if ns.ports.remove(p) && ns.inDynRange(p) && !inRanges(ns.reserved, p) {
		ns.dynFree++
	}
}

// reservedInDynRange counts the reserved ports inside the dynamic range,
// each once even when ranges overlap.
func (ns *nodeState) reservedInDynRange() int {
	n := 0
	for i, r := range ns.reserved {
		for p := max(r.lo, ns.dynMin); p <= min(r.hi, ns.dynMax); p++ {
			if !inRanges(ns.reserved[:i], p) {
				n++
			}
		}
	}
	return n
}

// pickDynamic chooses a free port of the dynamic range: a few random
// probes, then a scan from a random start. It returns 0 when none is free.
func (ns *nodeState) pickDynamic(rng *rand.Rand) int {
	span := ns.dynMax - ns.dynMin + 1
	for range 16 {
		if p := ns.dynMin + rng.IntN(span); ns.portFree(p) {
			return p
		}
	}
	start := rng.IntN(span)
	for i := range span {
		if p := ns.dynMin + (start+i)%span; ns.portFree(p) {
			return p
		}
	}
	return 0
}

// portAsk is one requested port.
type portAsk struct {
	label   string
	value   int // static host port; 0 for dynamic
	to      int // 0: same as the host port
	hostNet string
}

// netAsk is one requested network: the group's (task -1) or a task's.
type netAsk struct {
	task  int
	src   *structs.NetworkResource
	ports []portAsk
}

// portRequest is everything a group asks of the network.
type portRequest struct {
	nets     []netAsk
	statics  []int
	nDynamic int
}

// newPortRequest collects the group's and its tasks' network requests; it
// returns nil when there are none. Ports take their To from the port, else
// from a task's driver port_map.
func newPortRequest(tg *structs.TaskGroup) *portRequest {
	pr := &portRequest{}
	taskMaps := make([]map[string]int, len(tg.Tasks))
	groupMap := map[string]int{}
	for i, t := range tg.Tasks {
		taskMaps[i] = parsePortMap(t.Config["port_map"])
		for k, v := range taskMaps[i] {
			if _, ok := groupMap[k]; !ok {
				groupMap[k] = v
			}
		}
	}
	for _, nr := range tg.Networks {
		pr.addNet(-1, nr, groupMap)
	}
	for i, t := range tg.Tasks {
		if t.Resources != nil {
			for _, nr := range t.Resources.Networks {
				pr.addNet(i, nr, taskMaps[i])
			}
		}
	}
	if len(pr.nets) == 0 {
		return nil
	}
	return pr
}

// addNet adds one network request.
func (pr *portRequest) addNet(task int, nr *structs.NetworkResource, portMap map[string]int) {
	if nr == nil {
		return
	}
	na := netAsk{task: task, src: nr}
	for _, p := range nr.ReservedPorts {
		na.ports = append(na.ports, portAsk{label: p.Label, value: p.Value, to: portTo(p, portMap), hostNet: p.HostNetwork})
		pr.statics = append(pr.statics, p.Value)
	}
	for _, p := range nr.DynamicPorts {
		na.ports = append(na.ports, portAsk{label: p.Label, to: portTo(p, portMap), hostNet: p.HostNetwork})
		pr.nDynamic++
	}
	pr.nets = append(pr.nets, na)
}

// portTo is the port inside the allocation: the port's To, else the
// driver's port_map entry, else 0 (same as the host port).
func portTo(p structs.Port, portMap map[string]int) int {
	if p.To > 0 {
		return p.To
	}
	return portMap[p.Label]
}

// parsePortMap reads a driver's port_map: a map of label to port (string
// or number), or a list of such maps as JSON-decoded HCL1 gives.
func parsePortMap(v any) map[string]int {
	out := map[string]int{}
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			if n, ok := portNumber(x); ok {
				out[k] = n
			}
		}
	case map[string]string:
		for k, x := range m {
			if n, ok := portNumber(x); ok {
				out[k] = n
			}
		}
	case []any:
		for _, e := range m {
			for k, n := range parsePortMap(e) {
				out[k] = n
			}
		}
	case []map[string]any:
		for _, e := range m {
			for k, n := range parsePortMap(e) {
				out[k] = n
			}
		}
	}
	return out
}

// portNumber converts a port given as a string or any number.
func portNumber(x any) (int, bool) {
	if s, ok := x.(string); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		return n, err == nil && n > 0 && n <= maxPort
	}
	f, ok := toFloat(x)
	return int(f), ok && f > 0 && f <= maxPort
}

// checkPorts returns "" when the node can give the request its static
// ports and enough dynamic ones, else the exhausted dimension.
func (ns *nodeState) checkPorts(pr *portRequest) string {
	free := ns.dynFree
	for _, p := range pr.statics {
		if inRanges(ns.reserved, p) {
			return dimReservedPort
		}
		if ns.ports.has(p) {
			return dimPortCollision
		}
		if ns.inDynRange(p) {
			free--
		}
	}
	if pr.nDynamic > free {
		return dimDynamicPortsFail
	}
	return ""
}

// assignPorts takes the request's ports on the node and returns the
// allocation's shared networks, task networks (by task index) and port
// mappings, all with the node's address.
func (ns *nodeState) assignPorts(pr *portRequest, rng *rand.Rand, ip string) ([]*structs.NetworkResource, [][]*structs.NetworkResource, []structs.PortMapping) {
	var shared []*structs.NetworkResource
	var tasks [][]*structs.NetworkResource
	mappings := make([]structs.PortMapping, 0, len(pr.statics)+pr.nDynamic)
	for _, na := range pr.nets {
		nr := &structs.NetworkResource{Mode: na.src.Mode, Device: na.src.Device, CIDR: na.src.CIDR,
			IP: ip, MBits: na.src.MBits, Hostname: na.src.Hostname}
		for _, pa := range na.ports {
			mappings = append(mappings, ns.assignPort(nr, pa, rng, ip))
		}
		if na.task < 0 {
			shared = append(shared, nr)
			continue
		}
		for len(tasks) <= na.task {
			tasks = append(tasks, nil)
		}
		tasks[na.task] = append(tasks[na.task], nr)
	}
	return shared, tasks, mappings
}

// assignPort takes one port, adds it to nr and returns its mapping.
func (ns *nodeState) assignPort(nr *structs.NetworkResource, pa portAsk, rng *rand.Rand, ip string) structs.PortMapping {
	v := pa.value
	if v == 0 {
		v = ns.pickDynamic(rng)
	}
	ns.takePort(v)
	to := pa.to
	if to == 0 {
		to = v
	}
	p := structs.Port{Label: pa.label, Value: v, To: to, HostNetwork: pa.hostNet}
	if pa.value != 0 {
		nr.ReservedPorts = append(nr.ReservedPorts, p)
	} else {
		nr.DynamicPorts = append(nr.DynamicPorts, p)
	}
	return structs.PortMapping{Label: pa.label, Value: v, To: to, HostIP: ip}
}
