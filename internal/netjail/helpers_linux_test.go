package netjail

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// requirePriv skips (or fails under CI) when the test cannot manage network
// namespaces, links and nftables.
func requirePriv(t *testing.T) {
	t.Helper()
	reason := ""
	switch {
	case os.Geteuid() != 0:
		reason = "needs root"
	default:
		if _, err := netlink.LinkList(); err != nil {
			reason = "netlink unavailable: " + err.Error()
		}
	}
	if reason != "" {
		skipOrFail(t, reason)
	}
}

// skipOrFail skips the test for reason, or fails it when CI is set.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s", reason)
	}
	t.Skip(reason)
}

// randHex returns n random hex digits.
func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// testNet is a bridge on a random /24 inside 10.192.0.0/10 with its IPAM.
type testNet struct {
	bridge string
	ipam   *IPAM
	nat    *NAT // set by newTestNAT; its jails are allowed on attach
}

// allow lets the jail of alloc send from ip when tn has a table.
func (tn *testNet) allow(t *testing.T, alloc string, ip net.IP) {
	t.Helper()
	if tn.nat == nil {
		return
	}
	if err := tn.nat.AllowJail(alloc, ip); err != nil {
		t.Fatalf("AllowJail: %v", err)
	}
}

// newTestNet creates a test-specific bridge and IPAM, removed at cleanup.
func newTestNet(t *testing.T) *testNet {
	t.Helper()
	requirePriv(t)
	n, err := rand.Int(rand.Reader, big.NewInt(64*256))
	if err != nil {
		t.Fatal(err)
	}
	v := n.Int64()
	cidr := fmt.Sprintf("10.%d.%d.0/24", 192+v/256, v%256)
	tn := &testNet{bridge: "wt" + randHex(t, 8), ipam: newTestIPAM(t, cidr, t.TempDir())}
	// EnsureBridge turns on IP forwarding for the host; put it back.
	const forward = "/proc/sys/net/ipv4/ip_forward"
	if was, err := os.ReadFile(forward); err == nil {
		t.Cleanup(func() { _ = os.WriteFile(forward, was, 0o644) })
	}
	t.Cleanup(func() {
		if err := DeleteBridge(tn.bridge); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := EnsureBridge(tn.bridge, tn.ipam.GatewayCIDR()); err != nil {
		t.Fatalf("EnsureBridge: %v", err)
	}
	return tn
}

// newTestNetns creates a named network namespace removed at cleanup and
// returns its path.
func newTestNetns(t *testing.T) string {
	t.Helper()
	name := "wharf_test_" + randHex(t, 8)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		// The thread is stuck in the wrong namespace; never let it run Go code again.
		panic(fmt.Sprintf("restore netns: %v", serr))
	}
	if err != nil {
		t.Fatalf("create netns: %v", err)
	}
	ns.Close()
	t.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("cleanup netns %s: %v", name, err)
		}
	})
	return filepath.Join("/var/run/netns", name)
}

// listenIn starts a TCP server inside the namespace at path on addr that
// writes "hello" to every client; it is closed at cleanup.
func listenIn(t *testing.T, path, addr string) net.Addr {
	t.Helper()
	ln, err := inNetns(path, func() (net.Listener, error) { return net.Listen("tcp4", addr) })
	if err != nil {
		t.Fatalf("listen in netns: %v", err)
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
	return ln.Addr()
}

// inNetns runs fn on a locked thread switched into the namespace at path.
func inNetns[T any](path string, fn func() (T, error)) (T, error) {
	var zero T
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return zero, err
	}
	defer orig.Close()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return zero, err
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		return zero, err
	}
	v, ferr := fn()
	if err := netns.Set(orig); err != nil {
		panic(fmt.Sprintf("restore netns: %v", err))
	}
	return v, ferr
}

// dialHello connects to addr and returns what the server sent.
func dialHello(addr string) (string, error) {
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 16)
	n, err := c.Read(b)
	return string(b[:n]), err
}
