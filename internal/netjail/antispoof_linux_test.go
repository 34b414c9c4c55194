package netjail

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// udpSink collects the datagrams the host receives on every address at a
// free port as "SOURCE-IP PAYLOAD".
func udpSink(t *testing.T) (int, <-chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan string, 64)
	go func() {
		b := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			ch <- from.(*net.UDPAddr).IP.String() + " " + string(b[:n])
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port, ch
}

// sendUDPFrom sends payload from src (an address of the namespace at
// path) to dst.
func sendUDPFrom(path string, src net.IP, dst, payload string) error {
	_, err := inNetns(path, func() (struct{}, error) {
		raddr, err := net.ResolveUDPAddr("udp4", dst)
		if err != nil {
			return struct{}{}, err
		}
		c, err := net.DialUDP("udp4", &net.UDPAddr{IP: src}, raddr)
		if err != nil {
			return struct{}{}, err
		}
		defer c.Close()
		_, err = c.Write([]byte(payload))
		return struct{}{}, err
	})
	return err
}

// receivedBefore reads ch until the datagram mark arrives and returns
// what came before it; it fails the test when mark never comes.
func receivedBefore(t *testing.T, ch <-chan string, mark string) []string {
	t.Helper()
	var got []string
	timeout := time.After(5 * time.Second)
	for {
		select {
		case s := <-ch:
			if s == mark {
				return got
			}
			got = append(got, s)
		case <-timeout:
			t.Fatalf("the datagram %q never arrived (got %v)", mark, got)
		}
	}
}

// sendGARP broadcasts a gratuitous ARP request from eth0 of the namespace
// at path claiming that ip is at the interface's own MAC.
func sendGARP(path string, ip net.IP) error {
	_, err := inNetns(path, func() (struct{}, error) {
		ifc, err := net.InterfaceByName(jailIfName)
		if err != nil {
			return struct{}{}, err
		}
		proto := int(htons(unix.ETH_P_ARP))
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, proto)
		if err != nil {
			return struct{}{}, err
		}
		defer unix.Close(fd)
		bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		f := make([]byte, 0, 42)
		f = append(append(append(f, bcast...), ifc.HardwareAddr...), 0x08, 0x06)
		f = append(f, 0, 1, 8, 0, 6, 4, 0, 1) // Ethernet, IPv4, request
		f = append(append(f, ifc.HardwareAddr...), ip.To4()...)
		f = append(append(f, bcast...), ip.To4()...)
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifc.Index, Halen: 6}
		copy(sa.Addr[:], bcast)
		return struct{}{}, unix.Sendto(fd, f, 0, sa)
	})
	return err
}

// htons converts v to network byte order.
func htons(v uint16) uint16 {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, v)
	return binary.NativeEndian.Uint16(b)
}

// neighMAC returns the host's neighbour entry for ip on the bridge.
func neighMAC(t *testing.T, bridge string, ip net.IP) net.HardwareAddr {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := netlink.NeighList(br.Attrs().Index, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.IP.Equal(ip) {
			return n.HardwareAddr
		}
	}
	return nil
}

// setNeigh sets the host's neighbour entry for ip on the bridge to mac,
// stale (so that the next ARP from ip overrides it).
func setNeigh(t *testing.T, bridge string, ip net.IP, mac net.HardwareAddr) {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	n := &netlink.Neigh{LinkIndex: br.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_STALE, IP: ip, HardwareAddr: mac}
	if err := netlink.NeighSet(n); err != nil {
		t.Fatalf("set neighbour %s: %v", ip, err)
	}
}

// waitNeigh waits until the host's neighbour entry for ip is mac.
func waitNeigh(t *testing.T, bridge string, ip net.IP, mac net.HardwareAddr) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if bytes.Equal(neighMAC(t, bridge, ip), mac) {
			return true
		}
	}
	return false
}

// setMAC sets the MAC of eth0 in the namespace at path.
func setMAC(t *testing.T, path string, mac net.HardwareAddr) {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(jailIfName)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetHardwareAddr(l, mac); err != nil {
		t.Fatalf("set the jail's MAC: %v", err)
	}
}

// addAddr adds ip/32 to eth0 of the namespace at path.
func addAddr(t *testing.T, path string, ip net.IP) {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(jailIfName)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)}}); err != nil {
		t.Fatalf("add %s in the jail: %v", ip, err)
	}
}

// TestAntiSpoof: two jails talk to each other, to the host and the host to
// them; a jail sending from the other's address (or with the other's
// MAC) reaches nobody, and its
// gratuitous ARP for the other's address leaves the host's neighbour
// entry alone, until the table is deleted (which shows both attacks work
// without it). A detached jail's entry goes, and the table takes the rest.
func TestAntiSpoof(t *testing.T) {
	tn := newTestNet(t)
	nat, table := newTestNAT(t, tn)
	pathA, ipA := attachNetns(t, tn, "alloc-a")
	pathB, ipB := attachNetns(t, tn, "alloc-b")
	gw := tn.ipam.Gateway().String()

	// (1) normal traffic.
	api := hostTCP(t)
	if got, err := fromJail(pathA, fmt.Sprintf("%s:%d", gw, api)); err != nil || got != "hello" {
		t.Fatalf("jail a to the host = %q, %v", got, err)
	}
	if got, err := fromJail(pathA, ipB.String()+":80"); err != nil || got != "hello" {
		t.Fatalf("jail a to jail b = %q, %v", got, err)
	}
	if got, err := fromJail(pathB, ipA.String()+":80"); err != nil || got != "hello" {
		t.Fatalf("jail b to jail a = %q, %v", got, err)
	}
	if got, err := dialHello(ipB.String() + ":80"); err != nil || got != "hello" {
		t.Fatalf("the host to jail b = %q, %v", got, err)
	}
	if mac := neighMAC(t, tn.bridge, ipB); !bytes.Equal(mac, JailMAC("alloc-b")) {
		t.Fatalf("the host's neighbour entry of b = %v, want %v", mac, JailMAC("alloc-b"))
	}

	// (2) a datagram from a with b's address does not reach the host;
	// one from its own address, sent after it, does.
	port, sink := udpSink(t)
	dst := fmt.Sprintf("%s:%d", gw, port)
	addAddr(t, pathA, ipB)
	if err := sendUDPFrom(pathA, ipB, dst, "spoofed"); err != nil {
		t.Fatal(err)
	}
	if err := sendUDPFrom(pathA, ipA, dst, "mark"); err != nil {
		t.Fatal(err)
	}
	if got := receivedBefore(t, sink, ipA.String()+" mark"); len(got) != 0 {
		t.Errorf("the host received %v from jail a claiming b's address", got)
	}

	// (2b) nor does one from its own address with b's MAC.
	setMAC(t, pathA, JailMAC("alloc-b"))
	if err := sendUDPFrom(pathA, ipA, dst, "mac"); err != nil {
		t.Fatal(err)
	}
	setMAC(t, pathA, JailMAC("alloc-a"))
	if err := sendUDPFrom(pathA, ipA, dst, "mark2"); err != nil {
		t.Fatal(err)
	}
	if got := receivedBefore(t, sink, ipA.String()+" mark2"); len(got) != 0 {
		t.Errorf("the host received %v from jail a with b's MAC", got)
	}

	// (3) a's gratuitous ARP for b's address is dropped: the host's entry
	// of a (made stale and wrong first) is fixed by a's own ARP sent after
	// it, while b's entry keeps b's MAC.
	setNeigh(t, tn.bridge, ipA, net.HardwareAddr{0x02, 0, 0, 0, 0, 1})
	if err := sendGARP(pathA, ipB); err != nil {
		t.Fatalf("send arp: %v", err)
	}
	if err := sendGARP(pathA, ipA); err != nil {
		t.Fatalf("send arp: %v", err)
	}
	if !waitNeigh(t, tn.bridge, ipA, JailMAC("alloc-a")) {
		t.Fatalf("a's own gratuitous ARP did not reach the host: %v", neighMAC(t, tn.bridge, ipA))
	}
	if mac := neighMAC(t, tn.bridge, ipB); !bytes.Equal(mac, JailMAC("alloc-b")) {
		t.Errorf("after a's ARP for b's address the host sends b's traffic to %v, want %v", mac, JailMAC("alloc-b"))
	}

	// (4) a detached jail's entry goes (the driver calls ForbidJail next
	// to Detach; b's veth stays here so that the bridge keeps its MAC for
	// the checks below); the others stay.
	if err := nat.ForbidJail("alloc-b"); err != nil {
		t.Fatal(err)
	}
	left, err := Leftovers("", table)
	if err != nil || len(left) != 1 || !strings.HasPrefix(left[0], "jail "+HostVethName("alloc-a")+" "+ipA.String()) {
		t.Errorf("Leftovers after b detached = %v, %v; want only a's entry", left, err)
	}
	if err := nat.DeleteTable(); err != nil {
		t.Fatal(err)
	}
	if left, err := Leftovers("", table); err != nil || len(left) != 0 {
		t.Errorf("Leftovers after DeleteTable = %v, %v", left, err)
	}
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ListTableOfFamily(table, nftables.TableFamilyBridge); err == nil {
		t.Errorf("the bridge table %s outlived DeleteTable", table)
	}

	// Without the table both attacks work: the checks above can fail.
	if err := sendUDPFrom(pathA, ipB, dst, "spoofed"); err != nil {
		t.Fatal(err)
	}
	if err := sendUDPFrom(pathA, ipA, dst, "mark"); err != nil {
		t.Fatal(err)
	}
	if got := receivedBefore(t, sink, ipA.String()+" mark"); fmt.Sprint(got) != fmt.Sprintf("[%s spoofed]", ipB) {
		t.Errorf("without the table the host received %v before the mark; want the spoofed datagram", got)
	}
	setNeigh(t, tn.bridge, ipB, JailMAC("alloc-b"))
	if err := sendGARP(pathA, ipB); err != nil {
		t.Fatalf("send arp: %v", err)
	}
	if !waitNeigh(t, tn.bridge, ipB, JailMAC("alloc-a")) {
		t.Errorf("without the table a's ARP for b's address did not take: %v", neighMAC(t, tn.bridge, ipB))
	}
}
