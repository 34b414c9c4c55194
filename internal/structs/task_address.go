package structs

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// AttrJailNetwork is the node attribute naming its jail bridge and network
// ("wharf0 10.192.0.0/16"), as the pot driver fingerprints it.
const AttrJailNetwork = "driver.pot.network"

// TaskAddressError says why address:port is not where allocation a on
// node n may send the ingress and the catalog's users, or returns nil when
// it is. A task's instance may name only what its node gives it: an
// address of its jail network (the jails' addresses, any port; not the
// bridge's own, which is the host) or one of the node's own addresses (its
// advertised IP, the host of its HTTP address, its name, a host IP of the
// allocation's networks) with a port allocated to a (or none). Anything
// else would let a job whose jails may not reach a host (egress "deny",
// the agent's own ports) make the ingress reach it for them. An empty
// address names nothing and passes.
func TaskAddressError(n *Node, a *Allocation, address string, port int) error {
	if address == "" || n == nil || a == nil {
		return nil
	}
	if inJailNetwork(n, address) {
		return nil
	}
	own := nodeAddresses(n, a)
	if !slices.ContainsFunc(own, func(s string) bool { return strings.EqualFold(s, address) }) {
		return fmt.Errorf("%s is neither an address of node %s (%s) nor of its jail network%s: an instance of a task may only name what its node gives it",
			address, n.ID, strings.Join(own, ", "), jailNetworkNote(n))
	}
	if port == 0 {
		return nil
	}
	ports := allocPorts(a)
	if !slices.Contains(ports, port) {
		return fmt.Errorf("port %d on %s is not a port of allocation %s (%s)", port, address, a.ID, portList(ports))
	}
	return nil
}

// inJailNetwork reports whether address is a jail's address in node n's
// jail network: inside it, and neither the network's own address, its
// broadcast address nor the bridge's (the first host, which is the node).
func inJailNetwork(n *Node, address string) bool {
	pfx, ok := jailNetwork(n)
	if !ok {
		return false
	}
	ip, err := netip.ParseAddr(address)
	if err != nil || !pfx.Contains(ip.Unmap()) {
		return false
	}
	ip = ip.Unmap()
	base := pfx.Masked().Addr()
	if ip == base || ip == base.Next() {
		return false
	}
	return ip.Next().IsValid() && pfx.Contains(ip.Next())
}

// jailNetwork parses node n's jail network attribute.
func jailNetwork(n *Node) (netip.Prefix, bool) {
	attr := n.Attributes[AttrJailNetwork]
	fields := strings.Fields(attr)
	if len(fields) == 0 {
		return netip.Prefix{}, false
	}
	pfx, err := netip.ParsePrefix(fields[len(fields)-1])
	if err != nil || !pfx.Addr().Is4() {
		return netip.Prefix{}, false
	}
	return pfx.Masked(), true
}

// jailNetworkNote names node n's jail network for an error, if it has one.
func jailNetworkNote(n *Node) string {
	if pfx, ok := jailNetwork(n); ok {
		return " " + pfx.String()
	}
	return ""
}

// nodeAddresses lists the addresses that name node n for allocation a:
// its advertised IP, the host of its HTTP address, its name and hostname,
// and the host IPs of a's networks and ports (unspecified ones left
// out); 127.0.0.1 when nothing else names it, as the client advertises
// then.
func nodeAddresses(n *Node, a *Allocation) []string {
	var out []string
	add := func(s string) {
		if s != "" && !unspecifiedIP(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(n.Attributes["unique.network.ip-address"])
	if host, _, err := net.SplitHostPort(n.HTTPAddr); err == nil {
		add(host)
	}
	if len(out) == 0 {
		add("127.0.0.1")
	}
	add(n.Name)
	add(n.Attributes["unique.hostname"])
	if r := a.AllocatedResources; r != nil {
		for _, p := range r.Shared.Ports {
			add(p.HostIP)
		}
		for _, nw := range r.Shared.Networks {
			if nw != nil {
				add(nw.IP)
			}
		}
		for _, tr := range r.Tasks {
			if tr == nil {
				continue
			}
			for _, nw := range tr.Networks {
				if nw != nil {
					add(nw.IP)
				}
			}
		}
	}
	return out
}

// unspecifiedIP reports whether s is 0.0.0.0 or ::.
func unspecifiedIP(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.IsUnspecified()
}

// allocPorts lists the host ports allocated to a.
func allocPorts(a *Allocation) []int {
	r := a.AllocatedResources
	if r == nil {
		return nil
	}
	var out []int
	for _, p := range r.Shared.Ports {
		out = append(out, p.Value)
	}
	nets := slices.Clone(r.Shared.Networks)
	for _, tr := range r.Tasks {
		if tr != nil {
			nets = append(nets, tr.Networks...)
		}
	}
	for _, nw := range nets {
		if nw == nil {
			continue
		}
		for _, p := range append(slices.Clone(nw.ReservedPorts), nw.DynamicPorts...) {
			out = append(out, p.Value)
		}
	}
	return out
}

// portList formats ports for an error.
func portList(ports []int) string {
	if len(ports) == 0 {
		return "it has none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return "its ports: " + strings.Join(s, ", ")
}
