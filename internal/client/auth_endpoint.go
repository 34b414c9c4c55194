package client

import (
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/acl/remote"
)

// endpointCaps is the namespace capability each client endpoint requires
// in the namespace of the allocation it names (Nomad's).
var endpointCaps = map[string]string{
	"GET /v1/client/fs/logs/{alloc}":             acl.CapReadLogs,
	"GET /v1/client/allocation/{alloc}/exec":     acl.CapAllocExec,
	"GET /v1/client/allocation/{alloc}/stats":    acl.CapReadJob,
	"PUT /v1/client/allocation/{alloc}/restart":  acl.CapAllocLifecycle,
	"POST /v1/client/allocation/{alloc}/restart": acl.CapAllocLifecycle,
	"PUT /v1/client/allocation/{alloc}/signal":   acl.CapAllocLifecycle,
	"POST /v1/client/allocation/{alloc}/signal":  acl.CapAllocLifecycle,
}

// guard checks every request to the client's endpoints: the request's
// token (resolved by the servers) must grant the route's capability in the
// allocation's namespace. A route without an entry in endpointCaps is
// refused, so none is served unchecked.
func (c *Client) guard(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" {
			mux.ServeHTTP(w, r)
			return
		}
		capability, ok := endpointCaps[pattern]
		if !ok {
			http.Error(w, "Permission denied: route "+pattern+" has no permission", http.StatusForbidden)
			return
		}
		a, err := c.tokens.Resolve(r.Context(), remote.RequestToken(r))
		if remote.IsUnreachable(err) {
			http.Error(w, strings.TrimPrefix(err.Error(), "Permission denied: "), http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		ns := c.allocNamespace(allocInPath(r.URL.Path))
		if !a.AllowNamespaceOperation(ns, capability) {
			http.Error(w, "Permission denied: missing namespace \""+ns+"\" capability \""+capability+"\"", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// allocNamespace is the namespace of an allocation this client runs; for
// one it no longer runs, "*": only a rule on every namespace grants it.
func (c *Client) allocNamespace(id string) string {
	if ar := c.AllocRunner(id); ar != nil {
		if a := ar.Alloc(); a != nil && a.Namespace != "" {
			return a.Namespace
		}
	}
	return "*"
}

// allocInPath is the allocation ID of a client endpoint's path
// (/v1/client/fs/logs/:alloc, /v1/client/allocation/:alloc/...).
func allocInPath(path string) string {
	if id, ok := strings.CutPrefix(path, "/v1/client/fs/logs/"); ok {
		return id
	}
	rest, _ := strings.CutPrefix(path, "/v1/client/allocation/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}
