package agent

import (
	"fmt"
	"net/http"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
)

// guardDashboard puts the ingress dashboard's API and metrics behind the
// servers' ACLs: with ACLs on, a request needs a token that reads the
// whole catalog (service_prefix "" read), checked with the servers the
// ingress follows. The page itself holds no data and stays open.
func (a *Agent) guardDashboard(h http.Handler) (http.Handler, error) {
	hc, err := a.serverHTTPClient()
	if err != nil {
		return nil, fmt.Errorf("ingress dashboard: %w", err)
	}
	var clients []*api.Client
	for _, addr := range a.agentURLs(a.ingressAPIAddresses()) {
		c, err := api.NewClient(&api.Config{Address: addr, HTTPClient: hc})
		if err != nil {
			return nil, fmt.Errorf("ingress dashboard: server %q: %w", addr, err)
		}
		clients = append(clients, c)
	}
	tokens := remote.New(remote.Clients(clients...))
	return dashboardGuard(h, tokens), nil
}

// dashboardGuard is guardDashboard's handler over a resolver.
func dashboardGuard(h http.Handler, tokens *remote.Resolver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/dashboard/" {
			h.ServeHTTP(w, r)
			return
		}
		acl, err := tokens.Resolve(r.Context(), remote.RequestToken(r))
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if !acl.AllowServiceRead("") {
			http.Error(w, `Permission denied: missing service_prefix "" policy "read"`, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
