package netjail

import (
	"fmt"
	"net"
)

// Egress policies for traffic jails send through the host.
const (
	// EgressAllow forwards jail traffic anywhere (the default).
	EgressAllow = "allow"
	// EgressDeny forwards jail traffic only to other jails and to the
	// allowed networks; the host's own services (the ingress, DNS) stay
	// reachable as far as HostPorts allows.
	EgressDeny = "deny"
)

// Guard is what keeps jails from reaching what they should not.
type Guard struct {
	// HostPorts are the agent's own ports (API, Consul-shaped API, etcd,
	// registry, dashboard): jail traffic to them on any of the host's
	// addresses is rejected, TCP and UDP.
	HostPorts []int
	// Egress is EgressAllow ("" too) or EgressDeny.
	Egress string
	// EgressAllow are the destinations jails may still reach under
	// EgressDeny.
	EgressAllow []*net.IPNet
}

// Validate checks the ports and the egress policy.
func (g Guard) Validate() error {
	for _, p := range g.HostPorts {
		if p <= 0 || p > 65535 {
			return fmt.Errorf("netjail: guard: %d is not a port", p)
		}
	}
	switch g.Egress {
	case "", EgressAllow, EgressDeny:
	default:
		return fmt.Errorf("netjail: egress %q: want %q or %q", g.Egress, EgressAllow, EgressDeny)
	}
	for _, n := range g.EgressAllow {
		if n == nil || n.IP.To4() == nil {
			return fmt.Errorf("netjail: egress allow %v: want an IPv4 network", n)
		}
	}
	return nil
}
