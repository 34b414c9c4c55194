package server

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Token headers: Nomad's, and the standard bearer header.
const (
	TokenHeader         = "X-Nomad-Token"
	authorizationHeader = "Authorization"
)

// bootstrapHint ends every refusal made before the ACL system has a
// management token.
const bootstrapHint = "ACL system not bootstrapped: run `wharf acl bootstrap` (POST /v1/acl/bootstrap) first"

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
}

type authKey struct{}

// authOf returns the request's authInfo (management when none was set,
// which happens only with ACLs off or in tests calling handlers directly).
func authOf(r *http.Request) *authInfo {
	if ai, ok := r.Context().Value(authKey{}).(*authInfo); ok {
		return ai
	}
	return &authInfo{acl: acl.ManagementACL}
}

// requestSecret returns the secret a request carries in X-Nomad-Token or
// an Authorization: Bearer header.
func requestSecret(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(TokenHeader)); t != "" {
		return t
	}
	if v, ok := strings.CutPrefix(r.Header.Get(authorizationHeader), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// authError is a refusal with its status.
func denied(format string, args ...any) error {
	return errorf(http.StatusForbidden, "Permission denied: "+format, args...)
}

// authenticate resolves the request's token into an authInfo. With ACLs
// off every request may do everything.
func (s *Server) authenticate(r *http.Request, snap state.Snapshot) (*authInfo, error) {
	secret := requestSecret(r)
	if !s.cfg.ACLEnabled {
		return &authInfo{acl: acl.ManagementACL, secret: secret}, nil
	}
	if snap.ACLBootstrapIndex() == 0 {
		return nil, errorf(http.StatusForbidden, "Permission denied: %s", bootstrapHint)
	}
	if secret == "" {
		return &authInfo{acl: s.acls.compile(snap, []string{structs.ACLAnonymousPolicy})}, nil
	}
	tok := snap.ACLTokenBySecretHash(structs.HashSecret(secret))
	if tok == nil {
		return nil, errorf(http.StatusForbidden, "ACL token not found")
	}
	if tok.Expired(time.Now()) {
		return nil, errorf(http.StatusForbidden, "ACL token expired")
	}
	ai := &authInfo{token: tok, secret: secret}
	if tok.Type == structs.ACLManagementToken {
		ai.acl = acl.ManagementACL
	} else {
		ai.acl = s.acls.compile(snap, tok.Policies)
	}
	return ai, nil
}

// aclCache keeps compiled ACLs by the names and modify indexes of their
// policies, so a request compiles nothing when policies did not change.
type aclCache struct {
	mu     sync.Mutex
	parsed map[string]*acl.Policy
	acls   map[string]*acl.ACL
}

// maxCachedACLs bounds the cache; it is emptied when it grows past it.
const maxCachedACLs = 4096

func (c *aclCache) compile(snap state.Snapshot, names []string) *acl.ACL {
	var pols []*structs.ACLPolicy
	for _, n := range names {
		if p := snap.ACLPolicy(n); p != nil {
			pols = append(pols, p)
		}
	}
	sort.Slice(pols, func(i, j int) bool { return pols[i].Name < pols[j].Name })
	var key strings.Builder
	for _, p := range pols {
		key.WriteString(p.Name + "@" + strconv.FormatUint(p.ModifyIndex, 10) + ",")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.acls[key.String()]; ok {
		return a
	}
	if c.acls == nil || len(c.acls) > maxCachedACLs {
		c.acls, c.parsed = map[string]*acl.ACL{}, map[string]*acl.Policy{}
	}
	var parsed []*acl.Policy
	for _, p := range pols {
		pk := p.Name + "@" + strconv.FormatUint(p.ModifyIndex, 10)
		pp, ok := c.parsed[pk]
		if !ok {
			// Stored rules were parsed when written; a policy that no
			// longer parses grants nothing.
			pp, _ = acl.Parse(p.Rules)
			c.parsed[pk] = pp
		}
		if pp != nil {
			parsed = append(parsed, pp)
		}
	}
	a := acl.New(parsed)
	c.acls[key.String()] = a
	return a
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
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, ai)))
	})
}
