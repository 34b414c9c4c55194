package agent

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"

	"github.com/wharf-project/wharf/internal/netjail"
)

// jailGuard is what keeps the client's jails from the agent: its own
// ports (API, Consul-shaped API, etcd client and peer, registry, ingress
// dashboard) closed to jails on every host address unless listed in
// client.pot.allow_host_ports, and the egress policy. DNS and the
// ingress's proxy ports stay reachable: jails resolve and call services
// through them.
func (a *Agent) jailGuard() (netjail.Guard, error) {
	pc := a.cfg.PotConfig()
	g := netjail.Guard{Egress: pc.Egress}
	for _, c := range pc.EgressAllow {
		_, n, err := net.ParseCIDR(c)
		if err != nil || n.IP.To4() == nil {
			return g, fmt.Errorf("client.pot.egress_allow: %q is not an IPv4 CIDR", c)
		}
		g.EgressAllow = append(g.EgressAllow, n)
	}
	for _, p := range pc.AllowHostPorts {
		if p <= 0 || p > 65535 {
			return g, fmt.Errorf("client.pot.allow_host_ports: %d is not a port", p)
		}
	}
	for _, p := range a.agentPorts() {
		if p > 0 && !slices.Contains(pc.AllowHostPorts, p) && !slices.Contains(g.HostPorts, p) {
			g.HostPorts = append(g.HostPorts, p)
		}
	}
	slices.Sort(g.HostPorts)
	if err := g.Validate(); err != nil {
		return g, fmt.Errorf("client.pot: %w", err)
	}
	return g, nil
}

// agentPorts lists the ports the agent's roles listen on, besides DNS
// and the ingress's proxy ports.
func (a *Agent) agentPorts() []int {
	var out []int
	if a.httpLn != nil {
		out = append(out, a.httpLn.Addr().(*net.TCPAddr).Port)
	} else if a.cfg.Ports != nil {
		out = append(out, a.cfg.Ports.HTTP)
	}
	if a.cfg.ConsulEnabled() {
		out = append(out, a.cfg.Consul.Port)
	}
	if a.cfg.Registry != nil && a.cfg.Registry.Enabled {
		out = append(out, a.cfg.Registry.Port)
	}
	if a.cfg.IngressEnabled() {
		out = append(out, a.cfg.Ingress.DashboardPort)
	}
	if a.etcd != nil {
		for _, u := range append(a.etcd.Endpoints(), a.etcd.PeerURL()) {
			out = append(out, urlPort(u))
		}
	}
	return out
}

// urlPort is the port of an http://host:port URL, 0 when it has none.
func urlPort(s string) int {
	u, err := url.Parse(s)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}
