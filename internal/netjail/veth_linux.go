package netjail

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// jailIfName is the name of the jail side of the veth pair.
const jailIfName = "eth0"

// Attach connects the network namespace at netnsPath to bridge: it creates
// a veth pair named after allocID, moves the peer into the namespace as
// eth0 with MAC JailMAC(allocID) (the host side in the interface group
// PortGroup(bridge)) and address ip (with the network's
// prefix), brings lo and eth0 up
// and adds a default route via gw. On failure nothing is left behind.
func Attach(bridge, netnsPath, allocID string, ip *net.IPNet, gw net.IP) (err error) {
	brIdx, err := bridgeIndex(bridge)
	if err != nil {
		return err
	}
	ns, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return fmt.Errorf("netjail: open netns %s: %w", netnsPath, err)
	}
	defer ns.Close()
	// The peer is created in the jail's namespace, named eth0 there:
	// moving a link between namespaces afterwards costs the kernel ~20 ms.
	host := HostVethName(allocID)
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: host, MasterIndex: brIdx, Group: PortGroup(bridge)},
		PeerName:         jailIfName,
		PeerNamespace:    netlink.NsFd(int(ns)),
		PeerHardwareAddr: JailMAC(allocID),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("netjail: create veth %s: %w", host, err)
	}
	defer func() {
		if err != nil {
			_ = Detach(allocID)
		}
	}()
	if err := configureJail(ns, ip, gw); err != nil {
		return err
	}
	if err := disableIPv6(host); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return fmt.Errorf("netjail: set %s up: %w", host, err)
	}
	return nil
}

// Detach deletes the host side veth of allocID; its peer in the jail goes
// with it. A missing veth is not an error.
func Detach(allocID string) error {
	name := HostVethName(allocID)
	l, err := netlink.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netjail: find veth %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("netjail: delete veth %s: %w", name, err)
	}
	return nil
}

// HostVethName returns the host side veth name of allocID ("wj" and 12 hex
// digits of a hash of the ID, within the 15 character limit).
func HostVethName(allocID string) string { return "wj" + shortHash(allocID) }

// configureJail sets the address of eth0 inside ns, brings it and lo up
// and adds the default route, through a netlink handle bound to ns.
func configureJail(ns netns.NsHandle, ip *net.IPNet, gw net.IP) error {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netjail: netlink handle in netns: %w", err)
	}
	defer h.Close()
	l, err := h.LinkByName(jailIfName)
	if err != nil {
		return fmt.Errorf("netjail: find %s in netns: %w", jailIfName, err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: ip}); err != nil {
		return fmt.Errorf("netjail: address %s in netns: %w", ip, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("netjail: set %s up in netns: %w", jailIfName, err)
	}
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("netjail: set lo up in netns: %w", err)
		}
	}
	route := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("netjail: default route via %s in netns: %w", gw, err)
	}
	return nil
}
