package consulapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/structs"
)

// ConsulTokenHeader carries a token as Consul's clients send it; ?token=
// and Authorization: Bearer are accepted too.
const ConsulTokenHeader = "X-Consul-Token"

// perm is what a route of the API requires with ACLs on.
type perm struct {
	// open routes need no token (status, datacenters).
	open bool
	// allow decides for the request's ACL; what names the permission in a
	// refusal.
	allow func(a *acl.ACL, r *http.Request) bool
	what  func(r *http.Request) string
	// grant is a policy that grants the permission (route-table test).
	grant string
}

// route is one registered pattern and its permission.
type route struct {
	pattern string
	perm    perm
}

// authInfo is what a request may do.
type authInfo struct {
	acl    *acl.ACL
	aclsOn bool
	// recheck authorizes the request again: a blocking query that waited
	// answers only if its token still may.
	recheck func() error
}

type authKey struct{}

func authOf(r *http.Request) *authInfo {
	if ai, ok := r.Context().Value(authKey{}).(*authInfo); ok {
		return ai
	}
	return &authInfo{acl: acl.ManagementACL}
}

// consulToken returns the token of a request: X-Consul-Token, ?token= or
// Authorization: Bearer.
func consulToken(r *http.Request) string {
	if t := r.Header.Get(ConsulTokenHeader); t != "" {
		return strings.TrimSpace(t)
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// handle registers h for pattern behind p; every route goes through it.
func (s *Server) handle(pattern string, p perm, h http.Handler) {
	if !p.open && (p.allow == nil || p.what == nil) {
		panic("consulapi: route " + pattern + " registered without a permission check")
	}
	s.routeTable = append(s.routeTable, route{pattern, p})
	s.mux.Handle(pattern, s.authorize(p, h))
}

func (s *Server) authorize(p perm, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ai := &authInfo{acl: acl.ManagementACL, aclsOn: s.cfg.ACLEnabled, recheck: func() error { return nil }}
		if s.cfg.ACLEnabled && !p.open {
			a, err := s.check(p, r)
			if err != nil {
				s.respond(w, r, nil, 0, err)
				return
			}
			ai.acl = a
			ai.recheck = func() error { _, err := s.check(p, r); return err }
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, ai)))
	})
}

// check resolves the request's token with the current state and checks p.
func (s *Server) check(p perm, r *http.Request) (*acl.ACL, error) {
	_, a, err := s.acls.Resolve(s.cfg.Store.Snapshot(), consulToken(r), time.Now())
	switch {
	case errors.Is(err, acl.ErrTokenNotFound):
		return nil, errorf(http.StatusForbidden, "ACL not found")
	case err != nil:
		return nil, errorf(http.StatusForbidden, "Permission denied: %v", err)
	case !p.allow(a, r):
		return nil, errorf(http.StatusForbidden, "Permission denied: token lacks %s", p.what(r))
	}
	return a, nil
}

// serviceRead requires read on the service named by path value key.
func serviceRead(key string) perm {
	return perm{
		allow: func(a *acl.ACL, r *http.Request) bool { return a.AllowServiceRead(r.PathValue(key)) },
		what:  func(r *http.Request) string { return fmt.Sprintf("service %q policy \"read\"", r.PathValue(key)) },
		grant: `service_prefix "" { policy = "read" }`,
	}
}

// someServiceRead requires read on some service: the lists answer only
// the services the token reads (readable), as Consul filters them.
func someServiceRead() perm {
	return perm{
		allow: func(a *acl.ACL, _ *http.Request) bool { return a.AllowServiceReadAny() },
		what:  func(*http.Request) string { return `a service policy "read"` },
		grant: `service "zzz" { policy = "read" }`,
	}
}

// nodeReadPerm requires node read (catalog and health of nodes); the
// services they list are filtered by readable.
func nodeReadPerm() perm {
	return perm{
		allow: func(a *acl.ACL, _ *http.Request) bool { return a.AllowNodeRead() },
		what:  func(*http.Request) string { return `node policy "read"` },
		grant: `node { policy = "read" }`,
	}
}

// readable returns whether the request's token reads service name (all
// of them with ACLs off): the lists leave out the others.
func readable(r *http.Request) func(name string) bool {
	return authOf(r).acl.AllowServiceRead
}

// agentReadPerm requires agent read.
func agentReadPerm() perm {
	return perm{
		allow: func(a *acl.ACL, _ *http.Request) bool { return a.AllowAgentRead() },
		what:  func(*http.Request) string { return `agent policy "read"` },
		grant: `agent { policy = "read" }`,
	}
}

// someServiceWrite requires write on some service; the handler checks the
// name it writes.
func someServiceWrite() perm {
	return perm{
		allow: func(a *acl.ACL, _ *http.Request) bool { return a.AllowServiceWriteAny() },
		what:  func(*http.Request) string { return `a service policy "write"` },
		grant: `service_prefix "" { policy = "write" }`,
	}
}

// mayWrite refuses an agent registration write the request may not make:
// with ACLs on a token needs service write on the name, and a service
// that belongs to tasks is joined only with such a token (never with ACLs
// off).
func (s *Server) mayWrite(r *http.Request, reg *structs.ServiceRegistration) error {
	ai := authOf(r)
	granted := s.grantedWrite(r, reg)
	if ai.aclsOn && !granted {
		return errorf(http.StatusForbidden, "Permission denied: token lacks service %q policy \"write\"", reg.ServiceName)
	}
	if !granted && catalog.UsedByTasks(s.cfg.Store.Snapshot(), reg.Namespace, reg.ServiceName, "") {
		return errorf(http.StatusForbidden, "Permission denied: service %q belongs to wharf tasks; "+
			"an instance from outside them needs an ACL token with service %q policy \"write\"", reg.ServiceName, reg.ServiceName)
	}
	return nil
}

// grantedWrite reports whether the request's token grants service write
// on reg's name (never with ACLs off): only then may it join a service
// of tasks.
func (s *Server) grantedWrite(r *http.Request, reg *structs.ServiceRegistration) bool {
	ai := authOf(r)
	return ai.aclsOn && ai.acl.AllowServiceWrite(reg.ServiceName)
}
