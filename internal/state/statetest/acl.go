package statetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

var aclTests = []testCase{
	{"ACLPolicyUpsertListDelete", testACLPolicies},
	{"ACLTokenUpsertLookupDelete", testACLTokens},
	{"ACLTokenValidation", testACLTokenValidation},
	{"ACLTokenSecretUnique", testACLTokenSecretUnique},
	{"ACLBootstrapOnce", testACLBootstrapOnce},
	{"ACLBootstrapRace", testACLBootstrapRace},
	{"ACLBootstrapReset", testACLBootstrapReset},
	{"ACLWaitForChange", testACLWait},
}

// NewACLToken returns a client token with a fresh accessor and the hash
// of secret.
func NewACLToken(name, secret string, policies ...string) *structs.ACLToken {
	return &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
		Name: name, Type: structs.ACLClientToken, Policies: policies,
		CreateTime: time.Unix(1700000000, 0).UTC()}
}

func policyNames(ps []*structs.ACLPolicy) []string {
	return ids(ps, func(p *structs.ACLPolicy) string { return p.Name })
}

func testACLPolicies(t *testing.T, e *env) {
	read := &structs.ACLPolicy{Name: "read", Description: "reads", Rules: `namespace "*" { policy = "read" }`}
	write := &structs.ACLPolicy{Name: "write", Rules: `namespace "*" { policy = "write" }`}
	idx := e.must(e.s.UpsertACLPolicies(e.ctx, []*structs.ACLPolicy{write, read}))
	snap := e.snap()
	if got := policyNames(snap.ACLPolicies()); !slices.Equal(got, []string{"read", "write"}) {
		t.Fatalf("policies = %v", got)
	}
	got := snap.ACLPolicy("read")
	if got == nil || got.Rules != read.Rules || got.Description != "reads" || got.CreateIndex != idx || got.ModifyIndex != idx {
		t.Fatalf("stored policy = %+v, want rules and indexes %d", got, idx)
	}
	if snap.TableIndex(state.TableACLPolicies) != idx {
		t.Fatalf("table index = %d, want %d", snap.TableIndex(state.TableACLPolicies), idx)
	}
	changed := *read
	changed.Rules = `namespace "default" { policy = "read" }`
	idx2 := e.must(e.s.UpsertACLPolicies(e.ctx, []*structs.ACLPolicy{&changed}))
	got = e.snap().ACLPolicy("read")
	if got.Rules != changed.Rules || got.CreateIndex != idx || got.ModifyIndex != idx2 || idx2 <= idx {
		t.Fatalf("replaced policy = %+v, want CreateIndex %d ModifyIndex %d", got, idx, idx2)
	}
	e.must(e.s.DeleteACLPolicies(e.ctx, []string{"read", "missing"}))
	if got := policyNames(e.snap().ACLPolicies()); !slices.Equal(got, []string{"write"}) {
		t.Fatalf("after delete policies = %v", got)
	}
	for _, bad := range []string{"", "a b", "x/y", string(make([]byte, 200))} {
		_, err := e.s.UpsertACLPolicies(e.ctx, []*structs.ACLPolicy{{Name: bad}})
		if !errors.Is(err, rules.ErrInvalid) {
			t.Fatalf("policy name %q: error = %v, want ErrInvalid", bad, err)
		}
	}
}

func testACLTokens(t *testing.T, e *env) {
	a := NewACLToken("a", "secret-a", "read")
	b := NewACLToken("b", "secret-b", "write")
	idx := e.must(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{a, b}))
	snap := e.snap()
	got := snap.ACLTokenBySecretHash(structs.HashSecret("secret-a"))
	if got == nil || got.AccessorID != a.AccessorID || got.Name != "a" || got.SecretID != "" ||
		!slices.Equal(got.Policies, []string{"read"}) || got.CreateIndex != idx || !got.CreateTime.Equal(a.CreateTime) {
		t.Fatalf("token by hash = %+v", got)
	}
	if snap.ACLTokenBySecretHash(structs.HashSecret("secret-c")) != nil || snap.ACLTokenBySecretHash("") != nil {
		t.Fatal("lookup of an unknown secret found a token")
	}
	if len(snap.ACLTokens()) != 2 || snap.ACLToken(b.AccessorID) == nil {
		t.Fatalf("tokens = %d", len(snap.ACLTokens()))
	}
	upd := a.Copy()
	upd.Policies = []string{"read", "write"}
	idx2 := e.must(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{upd}))
	got = e.snap().ACLToken(a.AccessorID)
	if got.CreateIndex != idx || got.ModifyIndex != idx2 || len(got.Policies) != 2 {
		t.Fatalf("updated token = %+v", got)
	}
	if got.SecretHash != structs.HashSecret("secret-a") {
		t.Fatal("updated token lost its secret hash")
	}
	e.must(e.s.DeleteACLTokens(e.ctx, []string{a.AccessorID, "missing"}))
	if e.snap().ACLTokenBySecretHash(structs.HashSecret("secret-a")) != nil {
		t.Fatal("deleted token still found by its secret")
	}
}

func testACLTokenValidation(t *testing.T, e *env) {
	tests := []func(*structs.ACLToken){
		func(tok *structs.ACLToken) { tok.AccessorID = "" },
		func(tok *structs.ACLToken) { tok.SecretID = "in-clear" },
		func(tok *structs.ACLToken) { tok.SecretHash = "in-clear" },
		func(tok *structs.ACLToken) { tok.Type = "root" },
	}
	for i, mutate := range tests {
		tok := NewACLToken("bad", "s")
		mutate(tok)
		if _, err := e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{tok}); !errors.Is(err, rules.ErrInvalid) {
			t.Errorf("case %d: error = %v, want ErrInvalid", i, err)
		}
		if _, err := e.s.BootstrapACL(e.ctx, tok); !errors.Is(err, rules.ErrInvalid) {
			t.Errorf("case %d bootstrap: error = %v, want ErrInvalid", i, err)
		}
	}
	if len(e.snap().ACLTokens()) != 0 || e.snap().ACLBootstrapIndex() != 0 {
		t.Fatal("an invalid token was stored")
	}
}

func testACLTokenSecretUnique(t *testing.T, e *env) {
	e.must(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{NewACLToken("a", "same")}))
	e.fails(state.ErrConflict)(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{NewACLToken("b", "same")}))
	e.fails(state.ErrConflict)(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{NewACLToken("c", "x"), NewACLToken("d", "x")}))
	if n := len(e.snap().ACLTokens()); n != 1 {
		t.Fatalf("tokens = %d, want 1", n)
	}
}

func testACLBootstrapOnce(t *testing.T, e *env) {
	tok := NewACLToken("Bootstrap Token", "root")
	tok.Type = structs.ACLManagementToken
	idx := e.must(e.s.BootstrapACL(e.ctx, tok))
	snap := e.snap()
	if snap.ACLBootstrapIndex() != idx || snap.ACLToken(tok.AccessorID) == nil {
		t.Fatalf("bootstrap index = %d, want %d; token stored: %v", snap.ACLBootstrapIndex(), idx, snap.ACLToken(tok.AccessorID) != nil)
	}
	second := NewACLToken("again", "root2")
	second.Type = structs.ACLManagementToken
	e.fails(state.ErrACLBootstrapped)(e.s.BootstrapACL(e.ctx, second))
	if e.snap().ACLToken(second.AccessorID) != nil {
		t.Fatal("a refused bootstrap stored its token")
	}
	// Deleting the bootstrap token does not allow a second bootstrap.
	e.must(e.s.DeleteACLTokens(e.ctx, []string{tok.AccessorID}))
	e.fails(state.ErrACLBootstrapped)(e.s.BootstrapACL(e.ctx, second))
}

func testACLBootstrapRace(t *testing.T, e *env) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tok := NewACLToken("racer", "secret-"+string(rune('a'+i)))
			tok.Type = structs.ACLManagementToken
			_, errs[i] = e.s.BootstrapACL(e.ctx, tok)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, state.ErrACLBootstrapped):
			t.Fatalf("bootstrap error = %v", err)
		}
	}
	if won != 1 || len(e.snap().ACLTokens()) != 1 {
		t.Fatalf("%d bootstraps won, %d tokens stored; want 1 and 1", won, len(e.snap().ACLTokens()))
	}
}

// testACLBootstrapReset: a reset with the current bootstrap index stores
// a new management token and moves the index, so the same reset index
// works once; a wrong index is refused and stores nothing.
func testACLBootstrapReset(t *testing.T, e *env) {
	tok := NewACLToken("Bootstrap Token", "root")
	tok.Type = structs.ACLManagementToken
	first := e.must(e.s.BootstrapACL(e.ctx, tok))
	again := NewACLToken("again", "root2")
	again.Type = structs.ACLManagementToken
	e.fails(state.ErrACLBootstrapped)(e.s.ResetACLBootstrap(e.ctx, again, first+1000))
	if e.snap().ACLToken(again.AccessorID) != nil {
		t.Fatal("a refused reset stored its token")
	}
	idx := e.must(e.s.ResetACLBootstrap(e.ctx, again, first))
	snap := e.snap()
	if snap.ACLToken(again.AccessorID) == nil || snap.ACLToken(tok.AccessorID) == nil {
		t.Fatal("after a reset both management tokens must exist")
	}
	if got := snap.ACLBootstrapIndex(); got == first || got != idx {
		t.Fatalf("bootstrap index after reset = %d, want %d (not %d)", got, idx, first)
	}
	third := NewACLToken("third", "root3")
	third.Type = structs.ACLManagementToken
	e.fails(state.ErrACLBootstrapped)(e.s.ResetACLBootstrap(e.ctx, third, first))
}

func testACLWait(t *testing.T, e *env) {
	start := e.snap().Index()
	done := make(chan uint64, 1)
	go func() {
		idx, _ := e.s.WaitForChange(e.ctx, start, state.TableACLTokens)
		done <- idx
	}()
	ctx, cancel := context.WithTimeout(e.ctx, 100*time.Millisecond)
	defer cancel()
	select {
	case <-done:
		t.Fatal("wait returned before any change")
	case <-ctx.Done():
	}
	idx := e.must(e.s.UpsertACLTokens(e.ctx, []*structs.ACLToken{NewACLToken("w", "w")}))
	select {
	case got := <-done:
		if got < idx {
			t.Fatalf("woke at %d, want >= %d", got, idx)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not wake on a token write")
	}
}
