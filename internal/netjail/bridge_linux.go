package netjail

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/vishvananda/netlink"
)

// EnsureBridge creates the bridge name if missing, gives it the gateway
// address gatewayCIDR (e.g. "10.192.0.1/10") and the MAC BridgeMAC(name),
// brings it up, enables IPv4 forwarding and route_localnet on it (so
// 127.0.0.1 can be DNATed to jails).
// It refuses when the gateway address is already assigned to another interface.
func EnsureBridge(name, gatewayCIDR string) error {
	addr, err := netlink.ParseAddr(gatewayCIDR)
	if err != nil {
		return fmt.Errorf("netjail: bridge address %q: %w", gatewayCIDR, err)
	}
	if err := checkAddrFree(name, addr); err != nil {
		return err
	}
	br, err := ensureBridgeLink(name)
	if err != nil {
		return err
	}
	if err := setBridgeMAC(br); err != nil {
		return err
	}
	if err := disableIPv6(name); err != nil {
		return err
	}
	if err := netlink.AddrReplace(br, addr); err != nil {
		return fmt.Errorf("netjail: address %s on %s: %w", gatewayCIDR, name, err)
	}
	if err := dropOtherAddrs(br, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return fmt.Errorf("netjail: set %s up: %w", name, err)
	}
	if err := writeSysctl("/proc/sys/net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	return writeSysctl("/proc/sys/net/ipv4/conf/"+name+"/route_localnet", "1")
}

// DeleteBridge removes the bridge name; a missing bridge is not an error.
func DeleteBridge(name string) error {
	l, err := netlink.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netjail: find bridge %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("netjail: delete bridge %s: %w", name, err)
	}
	return nil
}

// dropOtherAddrs removes the bridge's IPv4 addresses other than addr: a
// bridge left by an agent on another range (e.g. pot's whole 10.192.0.0/10)
// would keep shadowing the host's routes and resolvers.
func dropOtherAddrs(br netlink.Link, addr *netlink.Addr) error {
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netjail: list addresses of %s: %w", br.Attrs().Name, err)
	}
	for _, a := range addrs {
		if a.IPNet.String() == addr.IPNet.String() {
			continue
		}
		if err := netlink.AddrDel(br, &a); err != nil {
			return fmt.Errorf("netjail: remove stale address %s from %s: %w", a.IPNet, br.Attrs().Name, err)
		}
	}
	return nil
}

// checkAddrFree fails when addr's IP is assigned to an interface other than bridge.
func checkAddrFree(bridge string, addr *netlink.Addr) error {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netjail: list addresses: %w", err)
	}
	for _, a := range addrs {
		if !a.IP.Equal(addr.IP) {
			continue
		}
		l, err := netlink.LinkByIndex(a.LinkIndex)
		if err != nil {
			return fmt.Errorf("netjail: %s is already used by interface %d", addr.IPNet, a.LinkIndex)
		}
		if l.Attrs().Name != bridge {
			return fmt.Errorf("netjail: %s is already used by %s", addr.IPNet, l.Attrs().Name)
		}
	}
	return nil
}

// ensureBridgeLink returns the bridge link name, creating it when missing.
func ensureBridgeLink(name string) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err == nil {
		if _, ok := l.(*netlink.Bridge); !ok {
			return nil, fmt.Errorf("netjail: %s exists and is a %s, not a bridge", name, l.Type())
		}
		return l, nil
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("netjail: find bridge %s: %w", name, err)
	}
	if len(name) > 15 {
		return nil, fmt.Errorf("netjail: bridge name %q longer than 15 characters", name)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("netjail: create bridge %s: %w", name, err)
	}
	return netlink.LinkByName(name)
}

// disableIPv6 turns IPv6 off on the interface name: the jail network is
// IPv4 only and so are the guard rules, so the host must offer jails no
// IPv6 address (an agent bound to 0.0.0.0 also listens on [::], and the
// bridge's link-local address would reach it). A kernel without IPv6
// needs nothing.
func disableIPv6(name string) error {
	path := "/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return writeSysctl(path, "1")
}

// writeSysctl writes value to the sysctl file path.
func writeSysctl(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("netjail: sysctl %s: %w", path, err)
	}
	return nil
}

// isNotFound reports whether err means a link does not exist.
func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return err != nil && errors.As(err, &nf)
}

// bridgeIndex returns the interface index of the bridge name.
func bridgeIndex(name string) (int, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("netjail: find bridge %s: %w", name, err)
	}
	return l.Attrs().Index, nil
}

// setBridgeMAC gives the bridge the fixed MAC BridgeMAC(name): a bridge
// without one takes its smallest port's MAC and changes it when that
// port goes, and the jails left would keep sending to the old gateway MAC
// until their neighbour entries expire.
func setBridgeMAC(br netlink.Link) error {
	mac := BridgeMAC(br.Attrs().Name)
	if bytes.Equal(br.Attrs().HardwareAddr, mac) {
		return nil
	}
	if err := netlink.LinkSetHardwareAddr(br, mac); err != nil {
		return fmt.Errorf("netjail: set the MAC of %s: %w", br.Attrs().Name, err)
	}
	return nil
}
