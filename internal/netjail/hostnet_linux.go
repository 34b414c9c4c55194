package netjail

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ReadHostNet reads the host's IPv4 routes (of every table) and addresses
// with netlink, in the calling thread's network namespace, and the
// resolvers of resolvConf (DefaultResolvConf when empty). Routes and
// addresses on bridge are left out: that bridge is the jail network's own.
func ReadHostNet(bridge, resolvConf string) (HostNet, error) {
	if resolvConf == "" {
		resolvConf = DefaultResolvConf
	}
	var h HostNet
	names, err := linkNames()
	if err != nil {
		return h, err
	}
	// Every table, not only main: policy routing (VPNs, multi-homing)
	// keeps its routes in tables of their own.
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return h, fmt.Errorf("netjail: list routes: %w", err)
	}
	for _, r := range routes {
		dev := names[r.LinkIndex]
		if r.Dst == nil || (bridge != "" && dev == bridge) {
			continue
		}
		h.Routes = append(h.Routes, HostPrefix{Net: r.Dst, Dev: dev})
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return h, fmt.Errorf("netjail: list addresses: %w", err)
	}
	for _, a := range addrs {
		dev := names[a.LinkIndex]
		if a.IPNet == nil || (bridge != "" && dev == bridge) {
			continue
		}
		n := &net.IPNet{IP: a.IP.Mask(a.Mask), Mask: a.Mask}
		h.Addrs = append(h.Addrs, HostPrefix{Net: n, IP: a.IP, Dev: dev})
	}
	h.Resolvers, err = hostResolvers(resolvConf)
	return h, err
}

// linkNames maps interface indexes to names.
func linkNames() (map[int]string, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netjail: list links: %w", err)
	}
	out := make(map[int]string, len(links))
	for _, l := range links {
		out[l.Attrs().Index] = l.Attrs().Name
	}
	return out, nil
}
