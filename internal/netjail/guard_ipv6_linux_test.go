package netjail

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestBridgeHasNoIPv6: the jail network is IPv4 only and the guard
// rules are IPv4 rules, so the bridge must offer jails no IPv6 address of
// the host: a listener on [::] (as an agent bound to 0.0.0.0) is not
// reachable from a jail over the bridge's link-local address.
func TestBridgeHasNoIPv6(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		skipOrFail(t, "the kernel has no IPv6")
	}
	tn := newTestNet(t)
	jail, _ := attachNetns(t, tn, "alloc-v6")
	ln, err := net.Listen("tcp", "[::]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
	port := ln.Addr().(*net.TCPAddr).Port
	if v, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + tn.bridge + "/disable_ipv6"); err != nil || strings.TrimSpace(string(v)) != "1" {
		t.Errorf("IPv6 on the bridge %s: disable_ipv6 = %q, %v", tn.bridge, v, err)
	}
	br, err := netlink.LinkByName(tn.bridge)
	if err != nil {
		t.Fatal(err)
	}
	// The link-local address the kernel would give the bridge (EUI-64 of
	// its MAC), had it IPv6.
	mac := br.Attrs().HardwareAddr
	ll := net.IP{0xfe, 0x80, 0, 0, 0, 0, 0, 0, mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]}
	deadline := time.Now().Add(2 * time.Second) // past the link-local address's DAD
	for time.Now().Before(deadline) {
		addrs, _ := netlink.AddrList(br, netlink.FAMILY_V6)
		if len(addrs) > 0 {
			t.Errorf("the bridge has IPv6 addresses: %v", addrs)
			ll = addrs[0].IP
		}
		addr := fmt.Sprintf("[%s%%%s]:%d", ll, jailIfName, port)
		got, err := inNetns(jail, func() (string, error) { return dialHello6(addr) })
		if err == nil {
			t.Fatalf("the jail reached the host's [::] listener at %s: %q", addr, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dialHello6 is dialHello over IPv6.
func dialHello6(addr string) (string, error) {
	c, err := net.DialTimeout("tcp6", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	b := make([]byte, 16)
	n, err := c.Read(b)
	return string(b[:n]), err
}
