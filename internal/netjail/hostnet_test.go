package netjail

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustNet parses a CIDR.
func mustNet(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testHost is a host with a default route, a LAN, a VPN route and a
// resolver inside pot's default range.
func testHost(t *testing.T) HostNet {
	return HostNet{
		Routes: []HostPrefix{
			{Net: mustNet(t, "0.0.0.0/0"), Dev: "eth0"},
			{Net: mustNet(t, "192.0.2.0/24"), Dev: "eth0"},
			{Net: mustNet(t, "10.200.0.0/16"), Dev: "tun0"},
		},
		Addrs:     []HostPrefix{{Net: mustNet(t, "192.0.2.0/24"), IP: net.ParseIP("192.0.2.2"), Dev: "eth0"}},
		Resolvers: []net.IP{net.ParseIP("10.255.255.53")},
	}
}

func TestHostNetCheck(t *testing.T) {
	h := testHost(t)
	tests := []struct {
		cidr string
		want []string // substrings of the error; none: accepted
	}{
		{"10.192.0.0/10", []string{"resolver 10.255.255.53", "route 10.200.0.0/16 dev tun0", NetworkSetting}},
		{"10.255.0.0/16", []string{"resolver 10.255.255.53"}},
		{"10.200.7.0/24", []string{"route 10.200.0.0/16 dev tun0"}},
		{"10.0.0.0/8", []string{"route 10.200.0.0/16", "resolver 10.255.255.53"}},
		{"192.0.2.128/25", []string{"route 192.0.2.0/24 dev eth0", "address 192.0.2.2/24 dev eth0"}},
		{"10.192.0.0/16", nil},
		{"10.254.0.0/16", nil},
		{"172.16.0.0/16", nil},
		{"not-a-cidr", []string{`"not-a-cidr"`}},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			err := h.Check(tt.cidr)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want accepted", tt.cidr, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%s) accepted, want refused", tt.cidr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check(%s) = %q, lacks %q", tt.cidr, err, w)
				}
			}
		})
	}
}

func TestHostNetPickFree(t *testing.T) {
	tests := []struct {
		name string
		edit func(*HostNet)
		want string
	}{
		{"first /16 of pot's range", func(*HostNet) {}, "10.192.0.0/16"},
		{"skips a route in the first", func(h *HostNet) {
			h.Routes = append(h.Routes, HostPrefix{Net: mustNet(t, "10.192.3.0/24"), Dev: "br9"})
		}, "10.193.0.0/16"},
		{"skips a resolver", func(h *HostNet) { h.Resolvers = append(h.Resolvers, net.ParseIP("10.192.0.53")) }, "10.193.0.0/16"},
		{"10/8 taken: 172.16", func(h *HostNet) {
			h.Routes = append(h.Routes, HostPrefix{Net: mustNet(t, "10.0.0.0/8"), Dev: "tun1"})
		}, "172.16.0.0/16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHost(t)
			tt.edit(&h)
			got, err := h.PickFree(Candidates())
			if err != nil || got != tt.want {
				t.Fatalf("PickFree = %q, %v; want %q", got, err, tt.want)
			}
			if err := h.Check(got); err != nil {
				t.Errorf("the picked range is refused: %v", err)
			}
		})
	}
	all := HostNet{Routes: []HostPrefix{{Net: mustNet(t, "10.0.0.0/8")}, {Net: mustNet(t, "172.16.0.0/12")}, {Net: mustNet(t, "192.168.0.0/16")}}}
	if got, err := all.PickFree(Candidates()); err == nil {
		t.Errorf("PickFree with every private range routed = %q, want an error", got)
	}
}

func TestReadResolvers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "# comment\nsearch example\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver  127.0.0.53 \nnameserver\nnameserver bogus\noptions edns0\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResolvers(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "10.255.255.53" || got[1].String() != "127.0.0.53" {
		t.Errorf("ReadResolvers = %v, want [10.255.255.53 127.0.0.53]", got)
	}
	if got, err := ReadResolvers(filepath.Join(t.TempDir(), "missing")); err != nil || len(got) != 0 {
		t.Errorf("missing file: %v, %v", got, err)
	}
}
