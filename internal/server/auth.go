package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Token headers: Nomad's, and the standard bearer header. A client node
// sends its node secret in NodeSecretHeader (and its ACL token, if it has
// one, in TokenHeader).
const (
	TokenHeader         = "X-Nomad-Token"
	NodeSecretHeader    = "X-Wharf-Node-Secret"
	authorizationHeader = "Authorization"
)

// authInfo is what a request authenticated as; handlers read it from the
// request's context.
type authInfo struct {
	// token is the request's token; nil for anonymous requests and when
	// ACLs are off.
	token *structs.ACLToken
	// acl is what the request may do (everything when ACLs are off).
	acl *acl.ACL
	// secret is the secret the request presented, "" when none.
	secret string
	// node is the node whose secret the request presented (in
	// NodeSecretHeader), nil when none or unknown.
	node *structs.Node
	// aclsOn is true when the server enforces ACLs: only then does a
	// token grant anything beyond what the request's node owns.
	aclsOn bool
	// recheck authorizes the request again against a newer snapshot: a
	// blocking query that waited answers only if its token still may.
	recheck func(snap state.Snapshot) error
}

type authKey struct{}

// authOf returns the request's authInfo. A request that did not pass
// through authorize (a handler reached some other way) may do nothing:
// a missing check fails closed.
func authOf(r *http.Request) *authInfo {
	if ai, ok := r.Context().Value(authKey{}).(*authInfo); ok {
		return ai
	}
	return &authInfo{acl: acl.New(nil), aclsOn: true}
}

// requestSecret returns the secret a request carries in X-Nomad-Token, an
// Authorization: Bearer header, or (a browser's exec websocket) a
// subprotocol wharf-token.<secret>.
func requestSecret(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(TokenHeader)); t != "" {
		return t
	}
	if v, ok := strings.CutPrefix(r.Header.Get(authorizationHeader), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return remote.WebSocketToken(r)
}

// authError is a refusal with its status.
func denied(format string, args ...any) error {
	return errorf(http.StatusForbidden, "Permission denied: "+format, args...)
}

// authenticate resolves the request's token into an authInfo (with ACLs
// off every request may do everything), and its node secret, if any, into
// the node it identifies.
func (s *Server) authenticate(r *http.Request, snap state.Snapshot) (*authInfo, error) {
	ai := &authInfo{secret: requestSecret(r), aclsOn: s.cfg.ACLEnabled}
	if ns := r.Header.Get(NodeSecretHeader); ns != "" {
		ai.node = snap.NodeBySecretHash(structs.HashSecret(ns))
	}
	if !s.cfg.ACLEnabled {
		ai.acl = acl.ManagementACL
		return ai, nil
	}
	tok, a, err := s.acls.Resolve(snap, ai.secret, time.Now())
	if err != nil && ai.node != nil {
		// A known node's secret stands on its own: a revoked or missing
		// token takes away what the token granted, not the node's own.
		return &authInfo{acl: acl.New(nil), secret: ai.secret, node: ai.node, aclsOn: true}, nil
	}
	if err != nil {
		return nil, errorf(http.StatusForbidden, "Permission denied: %v", err)
	}
	ai.token, ai.acl = tok, a
	return ai, nil
}

// authorize wraps h: it authenticates the request, checks p and runs h
// with the authInfo in the request's context, or answers 403.
func (s *Server) authorize(p perm, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.open {
			h.ServeHTTP(w, r)
			return
		}
		snap := s.store.Snapshot()
		ai, err := s.authenticate(r, snap)
		if err == nil {
			err = p.check(s, snap, r, ai)
		}
		if err != nil {
			s.setMeta(w, 0)
			s.writeError(w, r, err)
			return
		}
		ai.recheck = func(snap state.Snapshot) error {
			again, err := s.authenticate(r, snap)
			if err != nil {
				return err
			}
			return p.check(s, snap, r, again)
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, ai)))
	})
}
