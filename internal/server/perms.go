package server

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// perm is what a route requires. Every route is registered with one (see
// routes.go), so none can be served without a check.
type perm struct {
	// tokenOnly routes accept any valid token (and refuse anonymous
	// requests).
	tokenOnly bool
	// open routes need no token and answer even before the bootstrap
	// (status, health, the bootstrap itself, 404s).
	open bool
	// allow decides for an authenticated request.
	allow func(s *Server, snap state.Snapshot, r *http.Request, ai *authInfo) bool
	// what names the permission in a refusal.
	what func(snap state.Snapshot, r *http.Request) string
	// grant is a policy that grants the permission for requests in the
	// default namespace (used by the route-table test).
	grant string
}

func (p perm) check(s *Server, snap state.Snapshot, r *http.Request, ai *authInfo) error {
	if p.allow(s, snap, r, ai) {
		return nil
	}
	return denied("missing %s", p.what(snap, r))
}

func fixed(s string) func(state.Snapshot, *http.Request) string {
	return func(state.Snapshot, *http.Request) string { return s }
}

// openRoute needs nothing.
func openRoute() perm { return perm{open: true} }

// nsFrom finds the namespace a request acts in.
type nsFrom func(snap state.Snapshot, r *http.Request) string

// queryNS is the request's ?namespace (default "default").
func queryNS(_ state.Snapshot, r *http.Request) string { return namespace(r) }

// allocNS is the namespace of the allocation named by path value key, or
// the request's ?namespace when it does not exist (the handler then
// answers 404).
func allocNS(key string) nsFrom {
	return func(snap state.Snapshot, r *http.Request) string {
		if a := snap.Alloc(r.PathValue(key)); a != nil {
			return a.Namespace
		}
		return namespace(r)
	}
}

// evalNS is the namespace of the evaluation named by path value "id".
func evalNS(snap state.Snapshot, r *http.Request) string {
	if e := snap.Eval(r.PathValue("id")); e != nil {
		return e.Namespace
	}
	return namespace(r)
}

// nsCap requires namespace capability c in the namespace ns finds.
func nsCap(c string, ns nsFrom) perm {
	return perm{
		allow: func(_ *Server, snap state.Snapshot, r *http.Request, ai *authInfo) bool {
			return ai.acl.AllowNamespaceOperation(ns(snap, r), c)
		},
		what: func(snap state.Snapshot, r *http.Request) string {
			return fmt.Sprintf("namespace %q capability %q", ns(snap, r), c)
		},
		grant: fmt.Sprintf("namespace %q { capabilities = [%q] }", "default", c),
	}
}

// level requires a node, agent or operator rule at read or write.
func level(rule, lvl string, ok func(*acl.ACL) bool) perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool { return ok(ai.acl) },
		what:  fixed(fmt.Sprintf("%s policy %q", rule, lvl)),
		grant: fmt.Sprintf("%s { policy = %q }", rule, lvl),
	}
}

var (
	nodeRead      = level("node", acl.PolicyRead, (*acl.ACL).AllowNodeRead)
	nodeWrite     = level("node", acl.PolicyWrite, (*acl.ACL).AllowNodeWrite)
	agentRead     = level("agent", acl.PolicyRead, (*acl.ACL).AllowAgentRead)
	operatorRead  = level("operator", acl.PolicyRead, (*acl.ACL).AllowOperatorRead)
	operatorWrite = level("operator", acl.PolicyWrite, (*acl.ACL).AllowOperatorWrite)
)

// management requires a management token.
func management() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool { return ai.acl.IsManagement() },
		what:  fixed("a management token"),
	}
}

// anyToken requires a valid token (not the anonymous policy).
func anyToken() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool {
			return ai.token != nil || ai.acl.IsManagement()
		},
		what:      fixed("a token (the request has none)"),
		tokenOnly: true,
	}
}

// ownTokenOrManagement allows a management token, or the token whose
// accessor is the path value "accessor".
func ownTokenOrManagement() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, r *http.Request, ai *authInfo) bool {
			return ai.acl.IsManagement() || (ai.token != nil && ai.token.AccessorID == r.PathValue("accessor"))
		},
		what: fixed("a management token, or the token being read"),
	}
}

// policyHolderOrManagement allows a management token, or a token that
// holds the policy named by path value "name"; anyone may read the
// anonymous policy (what anyone may do), so client agents can apply it.
func policyHolderOrManagement() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, r *http.Request, ai *authInfo) bool {
			name := r.PathValue("name")
			return ai.acl.IsManagement() || name == structs.ACLAnonymousPolicy ||
				(ai.token != nil && slices.Contains(ai.token.Policies, name))
		},
		what: fixed("a management token, or a token holding the policy"),
	}
}

// nodeWriteToken reports whether the request's token (with ACLs on) may
// act for any node: only a management token. Node policy "write" is what
// every client agent's token holds, so it must not let one client
// heartbeat another node or update its allocations (as Nomad, where
// those calls take the node's secret only).
func (ai *authInfo) nodeWriteToken() bool { return ai.aclsOn && ai.acl.IsManagement() }

// ownNode allows the node named by path value "id" when the request
// carries its node secret, and, with ACLs on, a management token. With
// ACLs off only the node's secret passes.
func ownNode() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, r *http.Request, ai *authInfo) bool {
			return (ai.node != nil && ai.node.ID == r.PathValue("id")) || ai.nodeWriteToken()
		},
		what: fixed("the node's own secret (" + NodeSecretHeader + ") or a management token"),
	}
}

// ownNodeOrRead allows the node named by "id" with its secret, or node
// read.
func ownNodeOrRead() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, r *http.Request, ai *authInfo) bool {
			return (ai.node != nil && ai.node.ID == r.PathValue("id")) || ai.acl.AllowNodeRead()
		},
		what:  fixed("the node's own secret (" + NodeSecretHeader + ") or node policy \"read\""),
		grant: `node { policy = "read" }`,
	}
}

// anyNode allows a request with a known node's secret (the handler then
// checks that it touches only what that node owns), and, with ACLs on, a
// management token.
func anyNode() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool {
			return ai.node != nil || ai.nodeWriteToken()
		},
		what: fixed("a node secret (" + NodeSecretHeader + ") or a management token"),
	}
}

// nodeRegistration allows a known node (re-registering itself, the
// handler checks the secret) and a token with node write (a new node).
func nodeRegistration() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool {
			return ai.node != nil || ai.acl.AllowNodeWrite()
		},
		what:  fixed("node policy \"write\" to register a new node (client acl { token }), or the node's own secret"),
		grant: `node { policy = "write" }`,
	}
}

// serviceWriter allows a node secret, and any request with ACLs off; with
// ACLs on a token that may write some service (the handler checks each
// name and each instance's owner).
func serviceWriter() perm {
	return perm{
		allow: func(_ *Server, _ state.Snapshot, _ *http.Request, ai *authInfo) bool {
			return ai.node != nil || !ai.aclsOn || ai.acl.AllowServiceWriteAny()
		},
		what:  fixed("a node secret (" + NodeSecretHeader + ") or a service policy \"write\""),
		grant: `service_prefix "" { policy = "write" }`,
	}
}
