package agent

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
)

// registryAuthorizer returns the registry's ACL check, nil with ACLs off:
// beside its upload tokens the registry then takes an ACL token
// (X-Nomad-Token or Authorization: Bearer) with registry policy "write"
// for uploads and deletes, and, with private_reads, "read" for reads. An
// agent that runs a server checks tokens in its own state (a revoked
// token is refused at once); a registry-only agent asks the servers, as
// the client and the ingress do, and keeps answers for remote.CacheTTL.
// Where the servers have ACLs off, only upload tokens are accepted.
func (a *Agent) registryAuthorizer() (func(*http.Request, bool) error, error) {
	if !a.cfg.ACLEnabled() {
		return nil, nil
	}
	if a.store != nil {
		var res acl.Resolver
		return func(r *http.Request, write bool) error {
			_, aa, err := res.Resolve(a.store.Snapshot(), remote.RequestToken(r), time.Now())
			if err != nil {
				return fmt.Errorf("Permission denied: %w", err)
			}
			return registryAllows(aa, write)
		}, nil
	}
	hc, err := a.serverHTTPClient()
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var clients []*api.Client
	for _, addr := range a.agentURLs(a.registryAPIAddresses()) {
		c, err := api.NewClient(&api.Config{Address: addr, HTTPClient: hc})
		if err != nil {
			return nil, fmt.Errorf("registry: server %q: %w", addr, err)
		}
		clients = append(clients, c)
	}
	return remoteRegistryCheck(remote.New(remote.Clients(clients...))), nil
}

// remoteRegistryCheck is the registry's check with tokens resolved by the
// servers.
func remoteRegistryCheck(tokens *remote.Resolver) func(*http.Request, bool) error {
	return func(r *http.Request, write bool) error {
		aa, err := tokens.Resolve(r.Context(), remote.RequestToken(r))
		if err != nil {
			return err
		}
		if aa == acl.DisabledACL {
			return errors.New("Permission denied: the servers have ACLs off, so only the registry's upload tokens are accepted")
		}
		return registryAllows(aa, write)
	}
}

// registryAllows refuses what a's registry rule does not grant.
func registryAllows(a *acl.ACL, write bool) error {
	switch {
	case write && !a.AllowRegistryWrite():
		return errors.New(`Permission denied: missing registry policy "write" (or an upload token)`)
	case !write && !a.AllowRegistryRead():
		return errors.New(`Permission denied: missing registry policy "read" (or an upload token)`)
	}
	return nil
}

// registryAPIAddresses are the servers a registry-only agent checks
// tokens with: its client's or its ingress's, else the local default.
func (a *Agent) registryAPIAddresses() []string {
	switch {
	case a.cfg.Client != nil && len(a.cfg.Client.Servers) > 0:
		return a.cfg.Client.Servers
	case a.cfg.Ingress != nil && len(a.cfg.Ingress.Servers) > 0:
		return a.cfg.Ingress.Servers
	}
	return []string{api.DefaultAddress}
}
