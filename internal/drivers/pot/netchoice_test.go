package pot

import (
	"net"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/netjail"
)

// hostWith is a host whose resolver and routes are the given ones.
func hostWith(t *testing.T, resolver string, routes ...string) netjail.HostNet {
	t.Helper()
	h := netjail.HostNet{Resolvers: []net.IP{net.ParseIP(resolver)}}
	for _, r := range routes {
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			t.Fatal(err)
		}
		h.Routes = append(h.Routes, netjail.HostPrefix{Net: n, Dev: "eth0"})
	}
	return h
}

// TestChooseNetwork: a configured network is checked, never replaced; a
// chosen one is kept for the data dir while it stays free, and chosen
// anew when the host now uses it.
func TestChooseNetwork(t *testing.T) {
	dir := t.TempDir()
	host := hostWith(t, "10.255.255.53", "10.192.0.0/24")

	_, picked, err := chooseNetwork(Options{DataDir: dir, CIDR: DefaultCIDR}, host)
	if err == nil || picked || !strings.Contains(err.Error(), "resolver 10.255.255.53") {
		t.Fatalf("configured 10.192.0.0/10: picked %v, err %v; want refused naming the resolver", picked, err)
	}
	if cidr, _, err := chooseNetwork(Options{DataDir: dir, CIDR: "10.240.0.0/16"}, host); err != nil || cidr != "10.240.0.0/16" {
		t.Fatalf("configured free range: %q, %v", cidr, err)
	}
	cidr, picked, err := chooseNetwork(Options{DataDir: dir}, host)
	if err != nil || !picked || cidr != "10.193.0.0/16" {
		t.Fatalf("default = %q picked %v, %v; want 10.193.0.0/16 chosen", cidr, picked, err)
	}
	// The range 10.193 is kept across restarts even once an earlier one
	// frees up.
	if again, _, err := chooseNetwork(Options{DataDir: dir}, hostWith(t, "10.255.255.53")); err != nil || again != cidr {
		t.Fatalf("after a restart = %q, %v; want %q kept", again, err, cidr)
	}
	// The host now routes 10.193: a new free range is chosen and kept.
	moved, _, err := chooseNetwork(Options{DataDir: dir}, hostWith(t, "10.255.255.53", "10.193.1.0/24"))
	if err != nil || moved != "10.192.0.0/16" {
		t.Fatalf("with 10.193 taken = %q, %v; want 10.192.0.0/16", moved, err)
	}
	if again, _, _ := chooseNetwork(Options{DataDir: dir}, hostWith(t, "10.255.255.53")); again != moved {
		t.Errorf("the new choice was not recorded: %q", again)
	}
}
