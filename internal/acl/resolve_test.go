package acl

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

type fakeSource struct {
	boot     uint64
	tokens   map[string]*structs.ACLToken
	policies map[string]*structs.ACLPolicy
}

func (f *fakeSource) ACLTokenBySecretHash(h string) *structs.ACLToken { return f.tokens[h] }
func (f *fakeSource) ACLPolicy(n string) *structs.ACLPolicy           { return f.policies[n] }
func (f *fakeSource) ACLBootstrapIndex() uint64                       { return f.boot }

func TestResolve(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Second)
	src := &fakeSource{
		tokens: map[string]*structs.ACLToken{
			structs.HashSecret("client-secret"): {AccessorID: "c", Type: structs.ACLClientToken, Policies: []string{"read"}},
			structs.HashSecret("mgmt-secret"):   {AccessorID: "m", Type: structs.ACLManagementToken},
			structs.HashSecret("old-secret"):    {AccessorID: "o", Type: structs.ACLManagementToken, ExpirationTime: &past},
		},
		policies: map[string]*structs.ACLPolicy{
			"read":      {Name: "read", Rules: `namespace "default" { policy = "read" }`, ModifyIndex: 1},
			"anonymous": {Name: "anonymous", Rules: `node { policy = "read" }`, ModifyIndex: 1},
		},
	}
	var r Resolver
	tests := []struct {
		name   string
		boot   uint64
		secret string
		err    error
		check  func(*ACL) bool
	}{
		{"anonymous before bootstrap", 0, "", ErrNotBootstrapped, nil},
		{"unknown before bootstrap", 0, "nope", ErrNotBootstrapped, nil},
		{"stored token before bootstrap", 0, "client-secret", nil, func(a *ACL) bool { return a.AllowNamespaceOperation("default", CapReadJob) }},
		{"anonymous policy", 1, "", nil, func(a *ACL) bool { return a.AllowNodeRead() && !a.AllowNamespace("default") }},
		{"unknown", 1, "nope", ErrTokenNotFound, nil},
		{"expired", 1, "old-secret", ErrTokenExpired, nil},
		{"management", 1, "mgmt-secret", nil, (*ACL).IsManagement},
		{"client", 1, "client-secret", nil, func(a *ACL) bool { return !a.IsManagement() && !a.AllowNodeRead() }},
	}
	for _, tc := range tests {
		src.boot = tc.boot
		_, a, err := r.Resolve(src, tc.secret, now)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			continue
		}
		if tc.check != nil && !tc.check(a) {
			t.Errorf("%s: wrong ACL", tc.name)
		}
	}
	// A changed policy is compiled again.
	src.policies["read"] = &structs.ACLPolicy{Name: "read", Rules: `namespace "default" { policy = "write" }`, ModifyIndex: 2}
	_, a, _ := r.Resolve(src, "client-secret", now)
	if !a.AllowNamespaceOperation("default", CapSubmitJob) {
		t.Error("a policy change was not picked up")
	}
}
