package netjail

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// attachNetns leases an address for alloc on tn, attaches a fresh
// namespace serving "hello" on port 80, and returns its path and address.
func attachNetns(t *testing.T, tn *testNet, alloc string) (string, net.IP) {
	t.Helper()
	path := newTestNetns(t)
	ip, err := tn.ipam.Lease(alloc)
	if err != nil {
		t.Fatal(err)
	}
	tn.allow(t, alloc, ip)
	if err := Attach(tn.bridge, path, alloc, &net.IPNet{IP: ip, Mask: tn.ipam.Network().Mask}, tn.ipam.Gateway()); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	t.Cleanup(func() { _ = Detach(alloc) })
	listenIn(t, path, ip.String()+":80")
	return path, ip
}

// hostTCP serves "hello" on every host address at a free port.
func hostTCP(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello"))
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// hostUDPEcho echoes UDP datagrams on every host address at a free port,
// as the agent's DNS server answers queries.
func hostUDPEcho(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		b := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(b[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// udpEcho sends "ping" to addr and returns the answer.
func udpEcho(addr string) (string, error) {
	c, err := net.DialTimeout("udp4", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	n, err := c.Read(b)
	return string(b[:n]), err
}

// fromJail dials addr for "hello" from inside the namespace at path.
func fromJail(path, addr string) (string, error) {
	return inNetns(path, func() (string, error) { return dialHello(addr) })
}

// TestGuardHostPorts: from a namespace on the bridge, the agent's port on
// the host (through the gateway address) is reachable until the guard is
// set, then refused, while an unguarded UDP port (DNS), a port forward to
// another jail, and a connection the host opens to the jail still work.
// The rules go with the table.
func TestGuardHostPorts(t *testing.T) {
	tn := newTestNet(t)
	nat, table := newTestNAT(t, tn)
	jail, _ := attachNetns(t, tn, "alloc-client")
	_, peerIP := attachNetns(t, tn, "alloc-server")
	gw := tn.ipam.Gateway().String()
	api, dns := hostTCP(t), hostUDPEcho(t)
	apiAddr := fmt.Sprintf("%s:%d", gw, api)
	if got, err := fromJail(jail, apiAddr); err != nil || got != "hello" {
		t.Fatalf("before the guard, the host's port %s from the jail = %q, %v; the test cannot show a block", apiAddr, got, err)
	}
	if err := nat.SetGuard(Guard{HostPorts: []int{api}}); err != nil {
		t.Fatalf("SetGuard: %v", err)
	}
	if got, err := fromJail(jail, apiAddr); err == nil {
		t.Errorf("the jail reached the agent's port %s: %q", apiAddr, got)
	}
	dnsAddr := fmt.Sprintf("%s:%d", gw, dns)
	if got, err := inNetns(jail, func() (string, error) { return udpEcho(dnsAddr) }); err != nil || got != "ping" {
		t.Errorf("DNS-like UDP %s from the jail = %q, %v", dnsAddr, got, err)
	}
	hostPort := freePort(t)
	if err := nat.AddPortMap("alloc-server", []Mapping{{HostPort: hostPort, IP: peerIP, Port: 80}}); err != nil {
		t.Fatal(err)
	}
	fwd := fmt.Sprintf("%s:%d", gw, hostPort)
	if got, err := fromJail(jail, fwd); err != nil || got != "hello" {
		t.Errorf("the port forward %s from the jail = %q, %v", fwd, got, err)
	}
	if got, err := dialHello(fmt.Sprintf("127.0.0.1:%d", hostPort)); err != nil || got != "hello" {
		t.Errorf("the port forward from the host = %q, %v", got, err)
	}
	if got, err := dialHello(peerIP.String() + ":80"); err != nil || got != "hello" {
		t.Errorf("the host (as the ingress) connecting to the jail = %q, %v", got, err)
	}
	if err := nat.RemovePortMaps("alloc-server"); err != nil {
		t.Fatal(err)
	}
	if err := nat.DeleteTable(); err != nil {
		t.Fatal(err)
	}
	if got, err := fromJail(jail, apiAddr); err != nil || got != "hello" {
		t.Errorf("after the table is gone the port is still blocked: %q, %v", got, err)
	}
	if left, err := Leftovers("", table); err != nil || len(left) != 0 {
		t.Errorf("Leftovers = %v, %v", left, err)
	}
}

// TestGuardEgress: a jail reaches a network outside its own (another
// bridge on this host, in a namespace of the test's own) under "allow",
// not under "deny", and again once that network is allowed; jail to jail
// traffic passes under "deny".
func TestGuardEgress(t *testing.T) {
	tn := newTestNet(t)
	nat, _ := newTestNAT(t, tn)
	jail, _ := attachNetns(t, tn, "alloc-egress")
	_, peerIP := attachNetns(t, tn, "alloc-peer")
	outside := newTestNet(t)
	_, outIP := attachNetns(t, outside, "outside-host")
	outAddr := outIP.String() + ":80"
	steps := []struct {
		name  string
		guard Guard
		out   bool
	}{
		{"allow", Guard{Egress: EgressAllow}, true},
		{"deny", Guard{Egress: EgressDeny}, false},
		{"deny with the network allowed", Guard{Egress: EgressDeny, EgressAllow: []*net.IPNet{outside.ipam.Network()}}, true},
		{"deny again", Guard{Egress: EgressDeny}, false},
	}
	for _, s := range steps {
		if err := nat.SetGuard(s.guard); err != nil {
			t.Fatalf("%s: SetGuard: %v", s.name, err)
		}
		got, err := fromJail(jail, outAddr)
		if ok := err == nil && got == "hello"; ok != s.out {
			t.Errorf("%s: the jail reaching %s = %q, %v; want reached %v", s.name, outAddr, got, err, s.out)
		}
		if got, err := fromJail(jail, peerIP.String()+":80"); err != nil || got != "hello" {
			t.Errorf("%s: jail to jail = %q, %v", s.name, got, err)
		}
	}
	if err := nat.SetGuard(Guard{Egress: "sometimes"}); err == nil {
		t.Error("SetGuard accepted the egress policy \"sometimes\"")
	}
}
