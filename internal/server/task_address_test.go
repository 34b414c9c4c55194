package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// allocHostPort is the first host port allocated to a (its instances'
// own port on the node's address).
func allocHostPort(t *testing.T, a *structs.Allocation) int {
	t.Helper()
	r := a.AllocatedResources
	if r != nil {
		for _, p := range r.Shared.Ports {
			return p.Value
		}
		for _, tr := range r.Tasks {
			for _, nw := range tr.Networks {
				for _, p := range append(nw.ReservedPorts, nw.DynamicPorts...) {
					return p.Value
				}
			}
		}
	}
	t.Fatalf("allocation %s has no port", a.ID)
	return 0
}

// TestTaskInstanceAddressMustBeItsAllocations: a node registers its
// allocation's instance only at an address that allocation owns on it
// (the node's address with the allocation's ports, or a jail address),
// refused with a 400 naming the field otherwise; and the ingress's reads
// (?routable=true) leave out an instance stored at another address.
func TestTaskInstanceAddressMustBeItsAllocations(t *testing.T) {
	ts := newTestServer(t, nil)
	reg, owner, _ := taskInstance(t, ts)
	alloc := ts.store.Snapshot().Alloc(reg.AllocID)
	port := allocHostPort(t, alloc)
	owner.Attributes[structs.AttrJailNetwork] = "wharf9 10.77.0.0/16"
	ts.mustDoAsNode(owner.ID, "PUT", "/v1/node/register", owner, nil)

	for _, tc := range []struct {
		name, addr string
		port       int
		want       string // "" for accepted
	}{
		{"the node's address with its port", "127.0.0.1", port, ""},
		{"the node's name", owner.Name, port, ""},
		{"a jail address, any port", "10.77.3.4", 22, ""},
		{"no port", "127.0.0.1", 0, ""},
		{"another host", "203.0.113.7", 80, "Services[0].Address: 203.0.113.7 is neither an address of node"},
		{"the jail bridge, which is the host", "10.77.0.1", 4646, "10.77.0.1 is neither"},
		{"the jail network's broadcast", "10.77.255.255", 80, "is neither"},
		{"the node's address with a port not its own", "127.0.0.1", 22, "port 22 on 127.0.0.1 is not a port of allocation"},
		{"a name that is not the node's", "evil.example", port, "evil.example is neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reg.Copy()
			r.Address, r.Port = tc.addr, tc.port
			code, body := ts.doAsNode(owner.ID, "PUT", "/v1/services/register", regBody(r), nil)
			switch {
			case tc.want == "" && code != http.StatusOK:
				t.Fatalf("%s:%d refused: %d %s", tc.addr, tc.port, code, body)
			case tc.want != "" && (code != http.StatusBadRequest || !strings.Contains(body, tc.want)):
				t.Fatalf("%s:%d: %d %s, want 400 with %q", tc.addr, tc.port, code, body, tc.want)
			}
		})
	}

	// An instance stored at a foreign address (before this check, or by a
	// node whose networks changed) is kept from the ingress's reads.
	bad := reg.Copy()
	bad.Address, bad.Port = "203.0.113.7", 80
	if _, err := ts.store.UpsertServiceRegistrations(t.Context(), []*structs.ServiceRegistration{bad}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/services/instances", "/v1/service/web"} {
		var all, routable []*structs.ServiceRegistration
		ts.mustDo("GET", path, nil, &all)
		ts.mustDo("GET", path+"?routable=true", nil, &routable)
		if len(all) != 1 || len(routable) != 0 {
			t.Fatalf("%s: %d instances, %d routable; want 1 and 0", path, len(all), len(routable))
		}
	}
}
