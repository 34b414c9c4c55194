package cli

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"

	"github.com/wharf-project/wharf/internal/structs"
)

// allocAddr is one port an allocation got: host address and port, and the
// port it is forwarded to inside the allocation.
type allocAddr struct {
	Label   string
	Dynamic bool
	HostIP  string
	Value   int
	To      int
}

// String prints "10.0.0.5:22854 -> 80", or just the host side when the
// port is not remapped.
func (a allocAddr) String() string {
	host := net.JoinHostPort(a.HostIP, strconv.Itoa(a.Value))
	if a.To != 0 && a.To != a.Value {
		return fmt.Sprintf("%s -> %d", host, a.To)
	}
	return host
}

// allocAddresses lists an allocation's ports, by label: the group's port
// mappings first, then ports of group and task networks (the older form
// of a network inside a task's resources).
func allocAddresses(res *structs.AllocatedResources) []allocAddr {
	if res == nil {
		return nil
	}
	byLabel := map[string]allocAddr{}
	dynamic := dynamicLabels(res)
	for _, p := range res.Shared.Ports {
		byLabel[p.Label] = allocAddr{Label: p.Label, Dynamic: dynamic[p.Label], HostIP: p.HostIP, Value: p.Value, To: p.To}
	}
	addNetworks(byLabel, res.Shared.Networks)
	for _, name := range slices.Sorted(maps.Keys(res.Tasks)) {
		if t := res.Tasks[name]; t != nil {
			addNetworks(byLabel, t.Networks)
		}
	}
	out := slices.Collect(maps.Values(byLabel))
	slices.SortFunc(out, func(a, b allocAddr) int { return cmp.Compare(a.Label, b.Label) })
	return out
}

// dynamicLabels is the set of port labels the scheduler chose a port for.
func dynamicLabels(res *structs.AllocatedResources) map[string]bool {
	set := map[string]bool{}
	nets := slices.Clone(res.Shared.Networks)
	for _, t := range res.Tasks {
		if t != nil {
			nets = append(nets, t.Networks...)
		}
	}
	for _, n := range nets {
		for _, p := range n.DynamicPorts {
			set[p.Label] = true
		}
	}
	return set
}

func addNetworks(byLabel map[string]allocAddr, nets []*structs.NetworkResource) {
	for _, n := range nets {
		add := func(p structs.Port, dynamic bool) {
			if _, ok := byLabel[p.Label]; !ok {
				byLabel[p.Label] = allocAddr{Label: p.Label, Dynamic: dynamic, HostIP: n.IP, Value: p.Value, To: p.To}
			}
		}
		for _, p := range n.ReservedPorts {
			add(p, false)
		}
		for _, p := range n.DynamicPorts {
			add(p, true)
		}
	}
}

// networkMode is the mode of an allocation's group network, if any.
func networkMode(res *structs.AllocatedResources) string {
	if res == nil {
		return ""
	}
	for _, n := range res.Shared.Networks {
		if n.Mode != "" {
			return n.Mode
		}
	}
	return ""
}
