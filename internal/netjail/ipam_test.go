package netjail

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func newTestIPAM(t *testing.T, cidr, dir string) *IPAM {
	t.Helper()
	m, err := NewIPAM(cidr, dir)
	if err != nil {
		t.Fatalf("NewIPAM(%q): %v", cidr, err)
	}
	return m
}

func TestIPAMGateway(t *testing.T) {
	tests := []struct {
		cidr, gw, gwCIDR string
	}{
		{"", "10.192.0.1", "10.192.0.1/10"},
		{"10.192.0.0/10", "10.192.0.1", "10.192.0.1/10"},
		{"172.30.5.0/24", "172.30.5.1", "172.30.5.1/24"},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			m := newTestIPAM(t, tt.cidr, t.TempDir())
			if got := m.Gateway().String(); got != tt.gw {
				t.Errorf("Gateway = %s, want %s", got, tt.gw)
			}
			if got := m.GatewayCIDR(); got != tt.gwCIDR {
				t.Errorf("GatewayCIDR = %s, want %s", got, tt.gwCIDR)
			}
		})
	}
}

func TestNewIPAMBadInput(t *testing.T) {
	tests := []string{"nope", "10.0.0.0/31", "10.0.0.0/32", "fd00::/64"}
	for _, cidr := range tests {
		t.Run(cidr, func(t *testing.T) {
			if _, err := NewIPAM(cidr, t.TempDir()); err == nil {
				t.Fatalf("NewIPAM(%q) succeeded, want error", cidr)
			}
		})
	}
}

func TestIPAMLease(t *testing.T) {
	tests := []struct {
		name  string
		cidr  string
		ids   []string
		want  []string
		exErr bool
	}{
		{"first addresses", "10.192.0.0/10", []string{"a", "b"}, []string{"10.192.0.2", "10.192.0.3"}, false},
		{"idempotent", "10.192.0.0/10", []string{"a", "a", "b"}, []string{"10.192.0.2", "10.192.0.2", "10.192.0.3"}, false},
		{"exhausted /30", "10.9.0.0/30", []string{"a", "b"}, []string{"10.9.0.2", ""}, true},
		{"full /29", "10.9.0.0/29", []string{"a", "b", "c", "d", "e", "f"},
			[]string{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6", ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestIPAM(t, tt.cidr, t.TempDir())
			for i, id := range tt.ids {
				ip, err := m.Lease(id)
				if tt.want[i] == "" {
					if !errors.Is(err, ErrExhausted) {
						t.Fatalf("Lease(%s) = %v, %v; want ErrExhausted", id, ip, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Lease(%s): %v", id, err)
				}
				if ip.String() != tt.want[i] {
					t.Errorf("Lease(%s) = %s, want %s", id, ip, tt.want[i])
				}
			}
		})
	}
}

func TestIPAMReleaseAndReuse(t *testing.T) {
	m := newTestIPAM(t, "10.9.0.0/29", t.TempDir())
	for i := range 5 {
		if _, err := m.Lease(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Release("2"); err != nil {
		t.Fatal(err)
	}
	if err := m.Release("unknown"); err != nil {
		t.Fatalf("Release(unknown): %v", err)
	}
	ip, err := m.Lease("new")
	if err != nil {
		t.Fatal(err)
	}
	if ip.String() != "10.9.0.4" {
		t.Errorf("reused %s, want 10.9.0.4", ip)
	}
}

func TestIPAMPersistence(t *testing.T) {
	dir := t.TempDir()
	m := newTestIPAM(t, "", dir)
	if _, err := m.Lease("a"); err != nil {
		t.Fatal(err)
	}
	b, _ := m.Lease("b")
	if err := m.Release("a"); err != nil {
		t.Fatal(err)
	}
	m2 := newTestIPAM(t, "", dir)
	got := m2.Leases()
	if len(got) != 1 || !got["b"].Equal(b) {
		t.Fatalf("reloaded leases = %v, want b=%s only", got, b)
	}
	c, _ := m2.Lease("c")
	if c.Equal(b) {
		t.Fatalf("new lease %s collides with b", c)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != leaseFileName {
		t.Errorf("state dir has %v, want only %s", entries, leaseFileName)
	}
}

func TestIPAMLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, leaseFileName), []byte("{bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewIPAM("", dir); err == nil {
		t.Fatal("NewIPAM with corrupt lease file succeeded")
	}
	// Leases outside the configured network are dropped on load.
	body := `{"cidr":"10.0.0.0/8","leases":{"in":"10.192.0.9","out":"192.168.1.5"}}`
	if err := os.WriteFile(filepath.Join(dir, leaseFileName), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestIPAM(t, "", dir)
	got := m.Leases()
	if len(got) != 1 || !got["in"].Equal(net.ParseIP("10.192.0.9")) {
		t.Fatalf("leases = %v, want only in=10.192.0.9", got)
	}
}

func TestIPAMReconcile(t *testing.T) {
	tests := []struct {
		name    string
		live    map[string]bool
		dropped []string
	}{
		{"none live", nil, []string{"a", "b", "c"}},
		{"some live", map[string]bool{"b": true}, []string{"a", "c"}},
		{"all live", map[string]bool{"a": true, "b": true, "c": true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newTestIPAM(t, "", dir)
			for _, id := range []string{"a", "b", "c"} {
				if _, err := m.Lease(id); err != nil {
					t.Fatal(err)
				}
			}
			dropped, err := m.Reconcile(tt.live)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(dropped) != fmt.Sprint(tt.dropped) {
				t.Errorf("dropped = %v, want %v", dropped, tt.dropped)
			}
			if n := len(newTestIPAM(t, "", dir).Leases()); n != 3-len(tt.dropped) {
				t.Errorf("persisted leases = %d, want %d", n, 3-len(tt.dropped))
			}
		})
	}
}

func TestIPAMEmptyID(t *testing.T) {
	m := newTestIPAM(t, "", t.TempDir())
	if _, err := m.Lease(""); err == nil {
		t.Fatal("Lease(\"\") succeeded")
	}
}
