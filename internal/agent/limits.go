package agent

import (
	"crypto/tls"
	"maps"
	"net"
	"net/http"
	"slices"

	"github.com/wharf-project/wharf/internal/ingress/proxy"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// connLimits are the running agent's connection limits: one limiter per
// listener role, and the timeouts of its servers.
type connLimits ConnLimits

// listenerRoles are the roles whose listeners get a connection cap.
var listenerRoles = []string{"api", "consul", "ingress", "dashboard", "registry", "dns"}

// setupConns raises the descriptor limit, splits it into the budget,
// makes a limiter per listener role (a configured cap wins over the
// budget's share) and logs the budget.
func (a *Agent) setupConns() error {
	cl, err := a.cfg.ConnLimits()
	if err != nil {
		return err
	}
	soft, hard, err := netlimit.RaiseLimit()
	if err != nil {
		a.log.Warn("cannot read the descriptor limit: connection caps use a limit of 1024", "err", err)
		soft, hard = 1024, 1024
	}
	b := netlimit.NewBudget(soft)
	maps.Copy(b.Caps, cl.MaxConns)
	netlimit.SetCurrent(b)
	a.limiters = map[string]*netlimit.Limiter{}
	args := []any{"limit", soft, "hard_limit", hard, "reserve", b.Reserve, "max_conns_per_client", cl.PerClient}
	sum := b.Reserve
	for _, role := range listenerRoles {
		a.limiters[role] = netlimit.NewLimiter(role, b.Caps[role])
		args = append(args, "max_conns_"+role, b.Caps[role])
		sum += b.Caps[role]
	}
	a.conns = (*connLimits)(&cl)
	a.log.Info("file descriptor budget", args...)
	if sum+b.Caps["ingress"] > soft {
		a.log.Warn("the connection caps and the reserve exceed the descriptor limit: a flood may still run the process out of descriptors",
			"limit", soft, "total", sum+b.Caps["ingress"], "roles", slices.Collect(maps.Keys(cl.MaxConns)))
	}
	return nil
}

// perClientRoles are the roles whose listeners cap each client IP's
// connections (limits.max_conns_per_client): the ingress is left out, as
// many users may reach it through one proxy or NAT address.
var perClientRoles = []string{"api", "consul", "dashboard", "registry"}

// limitListener caps the connections ln holds at role's limiter, and
// those of each client at the per-client cap for the roles that have
// one. TLS and other wrappers go around the result.
func (a *Agent) limitListener(role string, ln net.Listener) net.Listener {
	lim := a.limiter(role)
	if lim == nil {
		return ln
	}
	l := netlimit.NewListener(ln, lim, a.log)
	if a.conns != nil && slices.Contains(perClientRoles, role) {
		l.LimitPerClient(netlimit.NewPerClient(a.conns.PerClient))
	}
	return l
}

// limiter is role's limiter, or nil before setupConns.
func (a *Agent) limiter(role string) *netlimit.Limiter {
	return a.limiters[role]
}

// bound sets the handshake (first request head) and keep-alive idle
// timeouts of an HTTP server: a connection that sends nothing is closed.
// Its handler, when set, gets the body deadline (see bodyDeadline).
func (a *Agent) bound(srv *http.Server) *http.Server {
	hs, idle := DefaultHandshakeTimeout, DefaultIdleTimeout
	if a.conns != nil {
		hs, idle = a.conns.HandshakeTimeout, a.conns.IdleTimeout
	}
	srv.ReadHeaderTimeout, srv.IdleTimeout = hs, idle
	if srv.Handler != nil {
		srv.Handler = netlimit.LimitLongPolls(a.bodyDeadline(srv.Handler), a.newLongPolls())
	}
	return srv
}

// ingressServerOptions are an ingress entry point's bounds: the ingress
// role's connection cap (shared by its entry points) and the timeouts.
func (a *Agent) ingressServerOptions(tlsCfg *tls.Config) proxy.ServerOptions {
	o := proxy.ServerOptions{TLS: tlsCfg, Logger: a.log, Conns: a.limiter("ingress")}
	if a.conns != nil {
		o.ReadHeaderTimeout, o.IdleTimeout = a.conns.HandshakeTimeout, a.conns.IdleTimeout
	}
	return o
}
