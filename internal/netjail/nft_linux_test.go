package netjail

import (
	"fmt"
	"net"
	"testing"

	"github.com/google/nftables"
)

// newTestNAT creates a test-specific table for tn, deleted at cleanup.
func newTestNAT(t *testing.T, tn *testNet) (*NAT, string) {
	t.Helper()
	if c, err := nftables.New(); err != nil {
		skipOrFail(t, "nftables unavailable: "+err.Error())
	} else if _, err := c.ListTables(); err != nil {
		skipOrFail(t, "nftables unavailable: "+err.Error())
	}
	name := "wharf_test_" + randHex(t, 8)
	t.Cleanup(func() {
		if err := DeleteTable(name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	n, err := NewNAT(name, tn.bridge, tn.ipam.Network())
	if err != nil {
		t.Fatalf("NewNAT: %v", err)
	}
	tn.nat = n
	return n, name
}

// freePort returns a TCP port on 127.0.0.1 that is free right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// attachJail leases an address for alloc, attaches a fresh namespace and
// serves "hello" on port 80 inside it.
func attachJail(t *testing.T, tn *testNet, alloc string) net.IP {
	t.Helper()
	path := newTestNetns(t)
	ip, err := tn.ipam.Lease(alloc)
	if err != nil {
		t.Fatal(err)
	}
	tn.allow(t, alloc, ip)
	ipn := &net.IPNet{IP: ip, Mask: tn.ipam.Network().Mask}
	if err := Attach(tn.bridge, path, alloc, ipn, tn.ipam.Gateway()); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	t.Cleanup(func() { _ = Detach(alloc) })
	listenIn(t, path, ip.String()+":80")
	return ip
}

func TestPortMapLoopback(t *testing.T) {
	tn := newTestNet(t)
	nat, table := newTestNAT(t, tn)
	const alloc = "alloc-portmap"
	ip := attachJail(t, tn, alloc)
	hostPort := freePort(t)
	if err := nat.AddPortMap(alloc, []Mapping{{HostPort: hostPort, IP: ip, Port: 80}}); err != nil {
		t.Fatalf("AddPortMap: %v", err)
	}
	target := fmt.Sprintf("127.0.0.1:%d", hostPort)
	if got, err := dialHello(target); err != nil || got != "hello" {
		t.Fatalf("dial %s = %q, %v; want hello from the jail", target, got, err)
	}
	gwTarget := fmt.Sprintf("%s:%d", tn.ipam.Gateway(), hostPort)
	if got, err := dialHello(gwTarget); err != nil || got != "hello" {
		t.Fatalf("dial %s = %q, %v; want hello from the jail", gwTarget, got, err)
	}
	left, err := Leftovers("", table)
	if err != nil || len(left) != 5 {
		t.Errorf("Leftovers with one mapping = %v, %v; want 4 rules (tcp+udp, 2 chains) and the jail's entry", left, err)
	}
	if err := nat.RemovePortMaps(alloc); err != nil {
		t.Fatalf("RemovePortMaps: %v", err)
	}
	if _, err := dialHello(target); err == nil {
		t.Fatalf("dial %s succeeded after RemovePortMaps", target)
	}
	if err := Detach(alloc); err != nil {
		t.Fatal(err)
	}
	if err := nat.ForbidJail(alloc); err != nil {
		t.Fatal(err)
	}
	if err := tn.ipam.Release(alloc); err != nil {
		t.Fatal(err)
	}
	if left, err := Leftovers(tn.bridge, table); err != nil || len(left) != 0 {
		t.Errorf("Leftovers after teardown = %v, %v", left, err)
	}
	if n := len(tn.ipam.Leases()); n != 0 {
		t.Errorf("%d leases after teardown", n)
	}
}

func TestNATReconcile(t *testing.T) {
	tn := newTestNet(t)
	nat, table := newTestNAT(t, tn)
	m := []Mapping{{HostPort: 20001, IP: net.ParseIP("10.192.0.5"), Port: 80}}
	for _, id := range []string{"a", "b", "c"} {
		if err := nat.AddPortMap(id, m); err != nil {
			t.Fatal(err)
		}
		if err := nat.AllowJail(id, m[0].IP); err != nil {
			t.Fatal(err)
		}
	}
	// A restarted agent adopts the table and prunes dead allocations.
	nat2, err := NewNAT(table, tn.bridge, tn.ipam.Network())
	if err != nil {
		t.Fatalf("NewNAT on existing table: %v", err)
	}
	dropped, err := nat2.Reconcile(map[string]bool{"b": true})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dropped) != "[a c]" {
		t.Errorf("Reconcile dropped %v, want [a c]", dropped)
	}
	if ids, err := nat2.Allocs(); err != nil || fmt.Sprint(ids) != "[b]" {
		t.Errorf("Allocs = %v, %v; want [b]", ids, err)
	}
	left, err := Leftovers("", table)
	want := "jail " + HostVethName("b") + " 10.192.0.5 " + JailMAC("b").String()
	if err != nil || len(left) != 5 || left[4] != want {
		t.Errorf("Leftovers after Reconcile = %v, %v; want b's 4 rules and %q", left, err, want)
	}
	if err := nat2.DeleteTable(); err != nil {
		t.Fatal(err)
	}
	if err := nat2.DeleteTable(); err != nil {
		t.Fatalf("second DeleteTable: %v", err)
	}
	if left, err := Leftovers("", table); err != nil || len(left) != 0 {
		t.Errorf("Leftovers after DeleteTable = %v, %v", left, err)
	}
}

func TestAddPortMapBadInput(t *testing.T) {
	tn := newTestNet(t)
	nat, _ := newTestNAT(t, tn)
	ip := net.ParseIP("10.192.0.5")
	tests := []struct {
		name  string
		alloc string
		m     Mapping
	}{
		{"empty alloc", "", Mapping{HostPort: 1, IP: ip, Port: 80}},
		{"zero host port", "x", Mapping{IP: ip, Port: 80}},
		{"port too big", "x", Mapping{HostPort: 70000, IP: ip, Port: 80}},
		{"no ip", "x", Mapping{HostPort: 1, Port: 80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := nat.AddPortMap(tt.alloc, []Mapping{tt.m}); err == nil {
				t.Fatal("AddPortMap succeeded")
			}
		})
	}
}
