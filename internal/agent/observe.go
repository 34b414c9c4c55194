package agent

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
	"github.com/wharf-project/wharf/internal/logmon"
	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/server"
)

// observability is what the agent serves on /v1/metrics and
// /v1/agent/monitor besides the process-wide metrics: its listeners'
// limits, the ingress's metrics once the ingress runs, and its log.
type observability struct {
	logs   *logmon.Sink
	limits *prometheus.Registry
	proxy  atomic.Pointer[proxy.Proxy]
}

// Gather gathers the ingress's metrics (which hold the listeners' limits)
// when the ingress runs, else the listeners' limits alone.
func (o *observability) Gather() ([]*dto.MetricFamily, error) {
	if p := o.proxy.Load(); p != nil {
		return p.Gatherer().Gather()
	}
	return o.limits.Gather()
}

// setupObservability wraps the agent's logger so /v1/agent/monitor can
// follow it and prepares the agent's own metrics.
func (a *Agent) setupObservability() {
	a.log, a.obs.logs = logmon.Wrap(a.log)
	a.obs.limits = prometheus.NewRegistry()
	a.obs.limits.MustRegister(&limitsCollector{a: a})
}

// observeServer makes the server's /v1/metrics and /v1/agent/monitor
// serve the agent's metrics and log.
func (a *Agent) observeServer(s *server.Server) {
	s.AddMetrics(&a.obs)
	s.SetMonitor(a.obs.logs.Handler())
}

// observeIngress adds the ingress's metrics to /v1/metrics.
func (a *Agent) observeIngress(p *proxy.Proxy) { a.obs.proxy.Store(p) }

// agentEndpoints serves /v1/metrics and /v1/agent/monitor in front of h on
// an agent without the server role (which serves them itself): with ACLs
// on, a request needs a token with agent read, checked with the servers
// at addrs.
func (a *Agent) agentEndpoints(h http.Handler, addrs []string) (http.Handler, error) {
	if a.server != nil {
		return h, nil
	}
	hc, err := a.serverHTTPClient()
	if err != nil {
		return nil, fmt.Errorf("agent endpoints: %w", err)
	}
	var clients []*api.Client
	for _, addr := range a.agentURLs(addrs) {
		c, err := api.NewClient(&api.Config{Address: addr, HTTPClient: hc})
		if err != nil {
			return nil, fmt.Errorf("agent endpoints: server %q: %w", addr, err)
		}
		clients = append(clients, c)
	}
	tokens := remote.New(remote.Clients(clients...))
	metricsH := agentRead(tokens, metrics.Handler(prometheus.Gatherers{metrics.Registry, &a.obs}))
	monitorH := agentRead(tokens, a.obs.logs.Handler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet:
			h.ServeHTTP(w, r)
		case r.URL.Path == "/v1/metrics":
			metricsH.ServeHTTP(w, r)
		case r.URL.Path == "/v1/agent/monitor":
			monitorH.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	}), nil
}

// clientAgentEndpoints is agentEndpoints for a client agent's API, checked
// with the client's servers; on an error (which starting the client
// already met) the API goes without them.
func (a *Agent) clientAgentEndpoints(h http.Handler) http.Handler {
	servers := a.cfg.Client.Servers
	if len(servers) == 0 {
		servers = []string{a.advertiseHTTP()}
	}
	out, err := a.agentEndpoints(h, servers)
	if err != nil {
		a.log.Error("serve /v1/metrics and /v1/agent/monitor", "err", err)
		return h
	}
	return out
}

// agentRead lets a request through to h when its token has agent read
// (everyone when the servers have ACLs off). A token no server could be
// asked about gets 503 naming the cause, not a denial.
func agentRead(tokens *remote.Resolver, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acl, err := tokens.Resolve(r.Context(), remote.RequestToken(r))
		if err != nil {
			code := http.StatusForbidden
			if remote.IsUnreachable(err) {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, err.Error(), code)
			return
		}
		if !acl.AllowAgentRead() {
			http.Error(w, `Permission denied: missing agent policy "read"`, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
