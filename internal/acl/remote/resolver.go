// Package remote resolves ACL tokens for agents that hold no state (client
// and ingress agents): it asks the servers, over the API, what a token is
// and reads its policies with the token's own rights, and keeps answers
// for a short while.
//
// remote must never import any other wharf package except internal/acl,
// internal/api and internal/structs: not the server, state or client.
package remote

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

// CacheTTL is how long a resolved token (or "ACLs are off") is kept.
const CacheTTL = 30 * time.Second

// maxCached bounds the cache; it is emptied when it grows past it.
const maxCached = 1024

// DoFunc calls fn with a server's API client, failing over between
// servers as the caller sees fit.
type DoFunc func(ctx context.Context, fn func(*api.Client) error) error

// Resolver asks servers what tokens may do. It is safe for concurrent use.
type Resolver struct {
	do  DoFunc
	now func() time.Time

	mu    sync.Mutex
	cache map[string]entry
	// off is when the servers last said ACLs are off (zero: never): the
	// answer holds for every token.
	off time.Time
}

type entry struct {
	acl *acl.ACL
	err error
	at  time.Time
}

// New returns a resolver that reaches the servers through do.
func New(do DoFunc) *Resolver { return &Resolver{do: do, now: time.Now} }

// Clients returns a DoFunc that tries each client in turn until one
// answers (a network error or a 5xx moves to the next).
func Clients(clients ...*api.Client) DoFunc {
	return func(ctx context.Context, fn func(*api.Client) error) error {
		var err error
		for _, c := range clients {
			err = fn(c.WithContext(ctx))
			var ae *api.Error
			if err == nil || (errors.As(err, &ae) && ae.StatusCode < 500) {
				return err
			}
		}
		return err
	}
}

// unreachableError is a token the servers could not be asked about; it is
// not cached.
type unreachableError struct{ msg string }

func (e *unreachableError) Error() string { return "Permission denied: " + e.msg }

// Resolve returns what the token of secret may do ("" for anonymous):
// everything (acl.DisabledACL) when the servers have ACLs off, an error (a refusal's
// message) when the token is unknown or expired. When no server can be
// asked, the last answer for the token (or the last "ACLs are off") is
// used however old it is, as Consul's extend-cache down policy does;
// without one the error says so (see IsUnreachable).
func (r *Resolver) Resolve(ctx context.Context, secret string) (*acl.ACL, error) {
	key := structs.HashSecret(secret)
	if e, ok := r.cached(key, true); ok {
		return e.acl, e.err
	}
	a, err := r.ask(ctx, secret)
	var unsure *unreachableError
	if err != nil && (ctx.Err() != nil || errors.As(err, &unsure)) {
		if e, ok := r.cached(key, false); ok {
			return e.acl, e.err
		}
		if ctx.Err() != nil && !errors.As(err, &unsure) {
			err = &unreachableError{"cannot check the token with the servers: " + err.Error()}
		}
		return nil, err // not an answer: ask again next time
	}
	r.mu.Lock()
	if r.cache == nil || len(r.cache) > maxCached {
		r.cache = map[string]entry{}
	}
	r.cache[key] = entry{acl: a, err: err, at: r.now()}
	if a == acl.DisabledACL {
		r.off = r.now()
	}
	r.mu.Unlock()
	return a, err
}

// cached returns the entry of key, or "ACLs are off" when the servers
// said so later; with fresh set, only an answer younger than CacheTTL.
func (r *Resolver) cached(key string, fresh bool) (entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	e, ok := r.cache[key]
	if !r.off.IsZero() && (!ok || r.off.After(e.at)) {
		e, ok = entry{acl: acl.DisabledACL, at: r.off}, true
	}
	if !ok || (fresh && now.Sub(e.at) >= CacheTTL) {
		return entry{}, false
	}
	return e, true
}

// IsUnreachable reports whether err says that no server could be asked
// about a token (and no earlier answer was kept): the request may be
// fine, and a 503 fits it better than a 403.
func IsUnreachable(err error) bool {
	var unsure *unreachableError
	return errors.As(err, &unsure)
}

// ask resolves secret with the servers: its token, then its policies.
func (r *Resolver) ask(ctx context.Context, secret string) (*acl.ACL, error) {
	var tok *structs.ACLToken
	err := r.do(ctx, func(a *api.Client) error {
		var err error
		tok, err = a.WithToken(secret).WithNodeSecret("").ACL().Self()
		return err
	})
	var ae *api.Error
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && strings.Contains(ae.Message, "ACL support disabled"):
		return acl.DisabledACL, nil
	case secret == "" && api.IsForbidden(err):
		return r.policies(ctx, "", []string{structs.ACLAnonymousPolicy})
	case api.IsForbidden(err):
		return nil, errors.New(ae.Message)
	default:
		return nil, &unreachableError{"cannot check the token with the servers: " + err.Error()}
	}
	if tok.Type == structs.ACLManagementToken {
		return acl.ManagementACL, nil
	}
	return r.policies(ctx, secret, tok.Policies)
}

// policies reads and compiles the named policies with secret's rights;
// a policy it cannot read grants nothing.
func (r *Resolver) policies(ctx context.Context, secret string, names []string) (*acl.ACL, error) {
	var parsed []*acl.Policy
	for _, name := range names {
		var p *structs.ACLPolicy
		err := r.do(ctx, func(a *api.Client) error {
			var err error
			p, _, err = a.WithToken(secret).WithNodeSecret("").ACL().Policy(name, nil)
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

// ExecSubprotocol is the websocket subprotocol browsers offer with
// WebSocketTokenPrefix+secret, since they cannot set headers on a
// websocket; the exec endpoint accepts it.
const (
	ExecSubprotocol      = "wharf-exec"
	WebSocketTokenPrefix = "wharf-token."
)

// RequestToken is the secret of X-Nomad-Token, Authorization: Bearer, or
// a websocket subprotocol WebSocketTokenPrefix+secret.
func RequestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(api.TokenHeader)); t != "" {
		return t
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return WebSocketToken(r)
}

// WebSocketToken is the secret a browser offered as a websocket
// subprotocol, "" when none.
func WebSocketToken(r *http.Request) string {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(p), WebSocketTokenPrefix); ok {
				return t
			}
		}
	}
	return ""
}
