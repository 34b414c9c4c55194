package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
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

// tokenCacheTTL is how long a resolved token (or "ACLs are off") is kept.
const tokenCacheTTL = 30 * time.Second

// maxCachedTokens bounds the cache; it is emptied when it grows past it.
const maxCachedTokens = 1024

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
		a, err := c.tokens.resolve(r.Context(), requestToken(r))
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

// requestToken is the secret of X-Nomad-Token or Authorization: Bearer.
func requestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(api.TokenHeader)); t != "" {
		return t
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// tokenResolver asks the servers what a token may do, and caches the
// answer for tokenCacheTTL.
type tokenResolver struct {
	s   *servers
	now func() time.Time

	mu    sync.Mutex
	cache map[string]resolved
}

type resolved struct {
	acl *acl.ACL
	err error
	at  time.Time
}

func (t *tokenResolver) resolve(ctx context.Context, secret string) (*acl.ACL, error) {
	key := structs.HashSecret(secret)
	t.mu.Lock()
	if e, ok := t.cache[key]; ok && t.now().Sub(e.at) < tokenCacheTTL {
		t.mu.Unlock()
		return e.acl, e.err
	}
	t.mu.Unlock()
	a, err := t.ask(ctx, secret)
	var unsure *unreachableError
	if err != nil && (ctx.Err() != nil || errors.As(err, &unsure)) {
		return nil, err // not an answer: ask again next time
	}
	t.mu.Lock()
	if t.cache == nil || len(t.cache) > maxCachedTokens {
		t.cache = map[string]resolved{}
	}
	t.cache[key] = resolved{acl: a, err: err, at: t.now()}
	t.mu.Unlock()
	return a, err
}

// ask resolves secret with the servers: its token, then its policies.
// With ACLs off every request may do everything.
func (t *tokenResolver) ask(ctx context.Context, secret string) (*acl.ACL, error) {
	var tok *structs.ACLToken
	err := t.s.do(ctx, func(a *api.Client) error {
		var err error
		tok, err = a.WithContext(ctx).WithToken(secret).ACL().Self()
		return err
	})
	var ae *api.Error
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && strings.Contains(ae.Message, "ACL support disabled"):
		return acl.ManagementACL, nil
	case secret == "" && api.IsForbidden(err):
		return t.policies(ctx, "", []string{structs.ACLAnonymousPolicy})
	case api.IsForbidden(err):
		return nil, errors.New(ae.Message)
	default:
		return nil, &unreachableError{"cannot check the token with the servers: " + err.Error()}
	}
	if tok.Type == structs.ACLManagementToken {
		return acl.ManagementACL, nil
	}
	return t.policies(ctx, secret, tok.Policies)
}

// policies reads and compiles the named policies with secret's rights;
// a policy it cannot read grants nothing.
func (t *tokenResolver) policies(ctx context.Context, secret string, names []string) (*acl.ACL, error) {
	var parsed []*acl.Policy
	for _, name := range names {
		var p *structs.ACLPolicy
		err := t.s.do(ctx, func(a *api.Client) error {
			var err error
			p, _, err = a.WithContext(ctx).WithToken(secret).ACL().Policy(name, nil)
			return err
		})
		if err != nil {
			if errors.Is(err, api.ErrNotFound) || api.IsForbidden(err) {
				continue
			}
			return nil, &unreachableError{"cannot read policy " + name + " from the servers: " + err.Error()}
		}
		if pp, err := acl.Parse(p.Rules); err == nil {
			parsed = append(parsed, pp)
		}
	}
	return acl.New(parsed), nil
}

// unreachableError is a token the servers could not be asked about; it is
// not cached.
type unreachableError struct{ msg string }

func (e *unreachableError) Error() string { return "Permission denied: " + e.msg }
