package agent

import (
	"net"
	"net/http"
	"strconv"

	"github.com/wharf-project/wharf/internal/ui"
)

// withUI serves the web UI under /ui/ beside the API, with GET /
// redirecting there. Only agents that run a server serve it.
func (a *Agent) withUI(api http.Handler) http.Handler {
	return ui.Wrap(api, ui.Options{IngressDashboard: a.ingressDashboardAddr})
}

// ingressDashboardAddr is where this agent's ingress dashboard listens,
// "" when the agent runs no ingress. It reads only the configuration, so
// it is safe while the ingress is still starting.
func (a *Agent) ingressDashboardAddr() string {
	if !a.cfg.IngressEnabled() {
		return ""
	}
	return net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(a.cfg.Ingress.DashboardPort))
}
