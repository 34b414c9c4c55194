package netjail

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestReadHostNetPolicyRoutesAndStub: a route kept in a routing table of
// its own (as VPNs do) and the upstream of a local DNS stub
// (systemd-resolved's 127.0.0.53) are the host's too: a jail network over
// either is refused, naming it.
func TestReadHostNetPolicyRoutesAndStub(t *testing.T) {
	requirePriv(t)
	ns := newTestNetns(t)
	dir := t.TempDir()
	resolv, upstream := filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "upstream.conf")
	if err := os.WriteFile(resolv, []byte("# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.internal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upstream, []byte("nameserver 10.207.0.53\nnameserver fd00::53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := ResolvedUpstream
	ResolvedUpstream = upstream
	t.Cleanup(func() { ResolvedUpstream = old })
	h, err := inNetns(ns, func() (HostNet, error) {
		if err := addDummy("wtvpn0", "192.0.2.1/32", ""); err != nil {
			return HostNet{}, err
		}
		l, err := netlink.LinkByName("wtvpn0")
		if err != nil {
			return HostNet{}, err
		}
		_, dst, _ := net.ParseCIDR("10.205.0.0/16")
		if err := netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Table: 100, Scope: unix.RT_SCOPE_LINK}); err != nil {
			return HostNet{}, err
		}
		return ReadHostNet("", resolv)
	})
	if err != nil {
		t.Fatalf("ReadHostNet in the namespace: %v", err)
	}
	err = h.Check("10.192.0.0/10")
	if err == nil {
		t.Fatal("10.192.0.0/10 was accepted over a policy route and the stub's upstream")
	}
	for _, want := range []string{"route 10.205.0.0/16 dev wtvpn0", "resolver 10.207.0.53"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not name %q", err, want)
		}
	}
	got, err := h.PickFree(Candidates())
	if err != nil || got != "10.192.0.0/16" {
		t.Errorf("PickFree = %q, %v; want 10.192.0.0/16", got, err)
	}
}
