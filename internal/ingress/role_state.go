package ingress

import (
	"net"

	"github.com/wharf-project/wharf/internal/ingress/dashboard"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
)

// Addr is the plain HTTP entry point's address, or "" before Start.
func (r *Role) Addr() string { return addrOf(r.web) }

// TLSAddr is the TLS entry point's address, or "" without one.
func (r *Role) TLSAddr() string { return addrOf(r.tls) }

// DashboardAddr is the dashboard's address, or "" before Start.
func (r *Role) DashboardAddr() string { return addrOf(r.dash) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Synced is closed once the first route table was built from the
// catalog; nil before Start.
func (r *Role) Synced() <-chan struct{} {
	if r.watcher == nil {
		return nil
	}
	return r.watcher.Synced()
}

// Proxy is the role's proxy (its metrics, its route table), nil before
// Start.
func (r *Role) Proxy() *proxy.Proxy { return r.proxy }

func (r *Role) entryPoints() []dashboard.EntryPoint {
	eps := []dashboard.EntryPoint{{Name: EntryPointWeb, Address: r.web.Addr().String()}}
	if r.tls != nil {
		eps = append(eps, dashboard.EntryPoint{Name: EntryPointWebSecure, Address: r.tls.Addr().String(), TLS: true})
	}
	return eps
}

// dashboardStats converts the proxy's figures to the dashboard's.
func (r *Role) dashboardStats() dashboard.Stats {
	st := r.proxy.Stats()
	out := dashboard.Stats{Routers: map[string]dashboard.Rate{}, Services: map[string]dashboard.ServiceStats{}}
	for name, rs := range st.Routers {
		out.Routers[name] = dashboard.Rate{Requests: uint64(rs.Requests), PerSecond: rs.Rate}
	}
	for name, ss := range st.Services {
		s := dashboard.ServiceStats{Rate: dashboard.Rate{Requests: uint64(ss.Requests), PerSecond: ss.Rate},
			Servers: map[string]dashboard.ServerStats{}}
		for _, sv := range ss.Servers {
			s.Servers[sv.URL] = dashboard.ServerStats{Up: sv.Up, Rate: dashboard.Rate{Requests: uint64(sv.Requests)}}
		}
		out.Services[name] = s
	}
	return out
}
