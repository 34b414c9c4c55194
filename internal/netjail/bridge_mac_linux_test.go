package netjail

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/vishvananda/netlink"
)

// bridgeMAC returns the MAC of the bridge name.
func bridgeMAC(t *testing.T, name string) []byte {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().HardwareAddr
}

// TestBridgeMACStable: the gateway's MAC does not change as jails come
// and go (a bridge takes its smallest port's MAC unless given one), so
// the jails left never send to a stale gateway MAC and still reach the
// host at once.
func TestBridgeMACStable(t *testing.T) {
	tn := newTestNet(t)
	want := bridgeMAC(t, tn.bridge)
	if !bytes.Equal(want, BridgeMAC(tn.bridge)) {
		t.Errorf("the bridge's MAC is %x, want %x", want, BridgeMAC(tn.bridge))
	}
	port := hostTCP(t)
	addr := fmt.Sprintf("%s:%d", tn.ipam.Gateway(), port)
	allocs := []string{"mac-a", "mac-b", "mac-c", "mac-d"}
	paths := map[string]string{}
	for _, a := range allocs {
		paths[a], _ = attachNetns(t, tn, a)
		if got, err := fromJail(paths[a], addr); err != nil || got != "hello" {
			t.Fatalf("%s to the host = %q, %v", a, got, err)
		}
	}
	for i, a := range allocs[:len(allocs)-1] {
		if err := Detach(a); err != nil {
			t.Fatal(err)
		}
		if got := bridgeMAC(t, tn.bridge); !bytes.Equal(got, want) {
			t.Errorf("after %s detached the bridge's MAC is %x, was %x", a, got, want)
		}
		for _, b := range allocs[i+1:] {
			if got, err := fromJail(paths[b], addr); err != nil || got != "hello" {
				t.Errorf("after %s detached, %s to the host = %q, %v", a, b, got, err)
			}
		}
	}
}
