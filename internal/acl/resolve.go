package acl

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// Errors of Resolve.
var (
	// ErrNotBootstrapped: ACLs are on but no management token exists yet.
	ErrNotBootstrapped = errors.New("ACL system not bootstrapped: run `wharf acl bootstrap` (POST /v1/acl/bootstrap) first")
	// ErrTokenNotFound: no token has the secret.
	ErrTokenNotFound = errors.New("ACL token not found")
	// ErrTokenExpired: the token's expiration time has passed.
	ErrTokenExpired = errors.New("ACL token expired")
)

// Source is what a Resolver reads; a state snapshot satisfies it.
type Source interface {
	ACLTokenBySecretHash(hash string) *structs.ACLToken
	ACLPolicy(name string) *structs.ACLPolicy
	ACLBootstrapIndex() uint64
}

// Resolver turns secrets into tokens and ACLs. It keeps compiled ACLs by
// the names and modify indexes of their policies, so a request compiles
// nothing while policies do not change. It is safe for concurrent use.
type Resolver struct {
	mu     sync.Mutex
	parsed map[string]*Policy
	acls   map[string]*ACL
}

// maxCachedACLs bounds the cache; it is emptied when it grows past it.
const maxCachedACLs = 4096

// Resolve returns the token of secret and its ACL; an empty secret is the
// anonymous policy's ACL (and a nil token). Before the bootstrap only
// stored tokens resolve: the tokens agents make for their own clients.
func (r *Resolver) Resolve(src Source, secret string, now time.Time) (*structs.ACLToken, *ACL, error) {
	var tok *structs.ACLToken
	if secret != "" {
		tok = src.ACLTokenBySecretHash(structs.HashSecret(secret))
	}
	switch {
	case tok == nil && src.ACLBootstrapIndex() == 0:
		return nil, nil, ErrNotBootstrapped
	case secret == "":
		return nil, r.Compile(src, []string{structs.ACLAnonymousPolicy}), nil
	case tok == nil:
		return nil, nil, ErrTokenNotFound
	}
	if tok.Expired(now) {
		return nil, nil, ErrTokenExpired
	}
	if tok.Type == structs.ACLManagementToken {
		return tok, ManagementACL, nil
	}
	return tok, r.Compile(src, tok.Policies), nil
}

// Compile returns the ACL of the named policies as src holds them;
// unknown names grant nothing.
func (r *Resolver) Compile(src Source, names []string) *ACL {
	var pols []*structs.ACLPolicy
	for _, n := range names {
		if p := src.ACLPolicy(n); p != nil {
			pols = append(pols, p)
		}
	}
	sort.Slice(pols, func(i, j int) bool { return pols[i].Name < pols[j].Name })
	var key strings.Builder
	for _, p := range pols {
		key.WriteString(policyKey(p) + ",")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.acls[key.String()]; ok {
		return a
	}
	if r.acls == nil || len(r.acls) > maxCachedACLs {
		r.acls, r.parsed = map[string]*ACL{}, map[string]*Policy{}
	}
	var parsed []*Policy
	for _, p := range pols {
		pp, ok := r.parsed[policyKey(p)]
		if !ok {
			// Stored rules were parsed when written; rules that no longer
			// parse grant nothing.
			pp, _ = Parse(p.Rules)
			r.parsed[policyKey(p)] = pp
		}
		if pp != nil {
			parsed = append(parsed, pp)
		}
	}
	a := New(parsed)
	r.acls[key.String()] = a
	return a
}

func policyKey(p *structs.ACLPolicy) string {
	return p.Name + "@" + strconv.FormatUint(p.ModifyIndex, 10)
}
