package netjail

import (
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestEnsureBridgeIdempotent(t *testing.T) {
	tn := newTestNet(t)
	if err := EnsureBridge(tn.bridge, tn.ipam.GatewayCIDR()); err != nil {
		t.Fatalf("second EnsureBridge: %v", err)
	}
	l, err := netlink.LinkByName(tn.bridge)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || addrs[0].IPNet.String() != tn.ipam.GatewayCIDR() {
		t.Errorf("bridge addresses = %v, want %s", addrs, tn.ipam.GatewayCIDR())
	}
}

func TestEnsureBridgeAddressInUse(t *testing.T) {
	tn := newTestNet(t)
	other := "wt" + randHex(t, 8)
	t.Cleanup(func() { _ = DeleteBridge(other) })
	err := EnsureBridge(other, tn.ipam.GatewayCIDR())
	want := tn.ipam.GatewayCIDR() + " is already used by " + tn.bridge
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("EnsureBridge on used address = %v, want %q", err, want)
	}
	if _, err := netlink.LinkByName(other); err == nil {
		t.Errorf("bridge %s was created despite the conflict", other)
	}
}

func TestEnsureBridgeBadInput(t *testing.T) {
	requirePriv(t)
	if err := EnsureBridge("wt"+randHex(t, 8), "not-an-address"); err == nil {
		t.Fatal("EnsureBridge with bad address succeeded")
	}
	if err := EnsureBridge("wt-name-way-too-long", "10.255.255.1/30"); err == nil {
		t.Fatal("EnsureBridge with long name succeeded")
	}
}

func TestAttachDetach(t *testing.T) {
	tn := newTestNet(t)
	path := newTestNetns(t)
	const alloc = "8f1c2d3e-aaaa-bbbb-cccc-000000000001"
	ip, err := tn.ipam.Lease(alloc)
	if err != nil {
		t.Fatal(err)
	}
	ipn := &net.IPNet{IP: ip, Mask: tn.ipam.Network().Mask}
	if err := Attach(tn.bridge, path, alloc, ipn, tn.ipam.Gateway()); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	t.Cleanup(func() { _ = Detach(alloc) })
	addr := listenIn(t, path, ip.String()+":8080")
	got, err := dialHello(addr.String())
	if err != nil || got != "hello" {
		t.Fatalf("dial jail %s = %q, %v", addr, got, err)
	}
	// The jail reaches the host through its default route and the gateway.
	hostLn, err := net.Listen("tcp4", tn.ipam.Gateway().String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hostLn.Close() })
	go func() {
		if c, err := hostLn.Accept(); err == nil {
			_, _ = c.Write([]byte("hello"))
			c.Close()
		}
	}()
	if got, err := inNetns(path, func() (string, error) { return dialHello(hostLn.Addr().String()) }); err != nil || got != "hello" {
		t.Fatalf("dial gateway from jail = %q, %v", got, err)
	}
	left, err := Leftovers(tn.bridge, "")
	if err != nil || len(left) != 1 {
		t.Errorf("Leftovers while attached = %v, %v; want one veth", left, err)
	}
	if err := Detach(alloc); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if err := Detach(alloc); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	if left, err := Leftovers(tn.bridge, ""); err != nil || len(left) != 0 {
		t.Errorf("Leftovers after Detach = %v, %v", left, err)
	}
	if _, err := dialHello(addr.String()); err == nil {
		t.Errorf("jail still reachable after Detach")
	}
}

func TestAttachBadNetns(t *testing.T) {
	tn := newTestNet(t)
	ipn := &net.IPNet{IP: net.ParseIP("10.192.0.2").To4(), Mask: net.CIDRMask(24, 32)}
	if err := Attach(tn.bridge, "/nonexistent/netns", "x", ipn, tn.ipam.Gateway()); err == nil {
		t.Fatal("Attach with bad netns path succeeded")
	}
	if _, err := netlink.LinkByName(HostVethName("x")); err == nil {
		t.Error("veth left behind after failed Attach")
	}
}
