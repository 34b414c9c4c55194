package server

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/acl"
)

// listedNamespaces returns whether an object of a namespace belongs in a
// list answer. The route checked the capability in the request's
// namespace; with ?namespace=* (and, where allEmpty, without ?namespace,
// as wharf's allocation and evaluation lists have always listed every
// namespace) the list holds only the namespaces where the request's token
// holds capability c, so a wildcard never shows a namespace the token may
// not read.
func listedNamespaces(r *http.Request, c string, allEmpty bool) func(ns string) bool {
	want := r.URL.Query().Get("namespace")
	if want == "*" || (want == "" && allEmpty) {
		a := authOf(r).acl
		return func(ns string) bool { return a.AllowNamespaceOperation(ns, c) }
	}
	want = namespace(r)
	return func(ns string) bool { return ns == want }
}

// nodeScoped returns whether an object of a namespace on node id belongs
// in a node's list (its allocations, its service instances): all of them
// for the node itself (its secret), else, as Nomad, only those of the
// namespaces where the token holds read-job: node read shows the node,
// not every namespace's jobs.
func nodeScoped(r *http.Request, id string) func(ns string) bool {
	ai := authOf(r)
	if ai.node != nil && ai.node.ID == id {
		return func(string) bool { return true }
	}
	return func(ns string) bool { return ai.acl.AllowNamespaceOperation(ns, acl.CapReadJob) }
}
