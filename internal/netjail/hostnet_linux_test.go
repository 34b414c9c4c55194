package netjail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestReadHostNetInNamespace: in a network namespace of the test's own,
// with an interface on 10.192.5.0/24, a route to 10.201.0.0/16 and a
// resolv.conf whose nameserver is inside pot's 10.192.0.0/10, an
// explicit 10.192.0.0/10 is refused naming each conflict and the setting,
// and the default picks a range that overlaps none of them. The bridge's
// own address is not a conflict.
func TestReadHostNetInNamespace(t *testing.T) {
	requirePriv(t)
	ns := newTestNetns(t)
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 10.196.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := inNetns(ns, func() (HostNet, error) {
		if err := addDummy("wtlan0", "10.192.5.1/24", "10.201.0.0/16"); err != nil {
			return HostNet{}, err
		}
		if err := addDummy("wtbr0", "10.222.0.1/16", ""); err != nil {
			return HostNet{}, err
		}
		return ReadHostNet("wtbr0", resolv)
	})
	if err != nil {
		t.Fatalf("ReadHostNet in the namespace: %v", err)
	}
	err = h.Check("10.192.0.0/10")
	if err == nil {
		t.Fatal("an explicit 10.192.0.0/10 was accepted")
	}
	for _, want := range []string{"resolver 10.196.0.53", "address 10.192.5.1/24 dev wtlan0", "route 10.201.0.0/16 dev wtlan0",
		`client { pot { network = "..." } }`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wtbr0") {
		t.Errorf("the jail bridge's own address counts as a conflict: %v", err)
	}
	got, err := h.PickFree(Candidates())
	if err != nil || got != "10.193.0.0/16" {
		t.Fatalf("PickFree = %q, %v; want 10.193.0.0/16", got, err)
	}
	for _, taken := range []string{"10.196.0.0/16", "10.201.0.0/16"} {
		if err := h.Check(taken); err == nil {
			t.Errorf("%s is accepted", taken)
		}
	}
	if err := h.Check("10.222.0.0/16"); err != nil {
		t.Errorf("the bridge's own range is refused: %v", err)
	}
}

// addDummy adds an up interface (a bridge: no module needed) with address cidr and, unless
// empty, a route to route through it.
func addDummy(name, cidr, route string) error {
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		return err
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(l, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return err
	}
	if route == "" {
		return nil
	}
	dst, err := netlink.ParseIPNet(route)
	if err != nil {
		return err
	}
	return netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst})
}

// TestEnsureBridgeDropsStaleAddress: a bridge left with another range
// (an older agent's, e.g. pot's whole 10.192.0.0/10) keeps only the
// gateway address once the bridge is set up again, so the stale route
// stops shadowing the host.
func TestEnsureBridgeDropsStaleAddress(t *testing.T) {
	tn := newTestNet(t)
	br, err := netlink.LinkByName(tn.bridge)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := netlink.ParseAddr("198.18.77.1/24")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(br, stale); err != nil {
		t.Fatal(err)
	}
	if err := EnsureBridge(tn.bridge, tn.ipam.GatewayCIDR()); err != nil {
		t.Fatalf("EnsureBridge: %v", err)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || addrs[0].IPNet.String() != tn.ipam.GatewayCIDR() {
		t.Errorf("addresses of %s = %v, want only %s", tn.bridge, addrs, tn.ipam.GatewayCIDR())
	}
}
