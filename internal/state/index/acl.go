package index

import (
	"fmt"
	"regexp"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// tokenBySecret and nodeBySecret index tokens and nodes by SecretHash.
const (
	tokenBySecret = "secret"
	nodeBySecret  = "secret"
)

// NodeBySecretHash returns the node whose SecretHash is hash, or nil.
func (s *Snapshot) NodeBySecretHash(hash string) *structs.Node {
	if hash == "" {
		return nil
	}
	return first[structs.Node](s, string(state.TableNodes), nodeBySecret, hash)
}

// bootRow is the ACL bootstrap marker.
type bootRow struct {
	Key   string
	Index uint64
}

// UpsertACLPolicy puts a policy.
func (t *Txn) UpsertACLPolicy(p *structs.ACLPolicy) { t.insert(state.TableACLPolicies, p) }

// DeleteACLPolicy removes a policy, if present.
func (t *Txn) DeleteACLPolicy(name string) { t.remove(state.TableACLPolicies, name) }

// UpsertACLToken puts a token.
func (t *Txn) UpsertACLToken(tok *structs.ACLToken) { t.insert(state.TableACLTokens, tok) }

// DeleteACLToken removes a token, if present.
func (t *Txn) DeleteACLToken(accessorID string) { t.remove(state.TableACLTokens, accessorID) }

// SetACLBootstrap records that the ACL system was bootstrapped at index.
func (t *Txn) SetACLBootstrap(index uint64) {
	t.note(t.txn.Insert(tableACLBoot, &bootRow{Key: globalKey, Index: index}))
	t.markChanged(string(state.TableACLTokens), t.rev)
}

// DeleteACLBootstrap forgets the bootstrap marker.
func (t *Txn) DeleteACLBootstrap() {
	raw, _ := t.txn.First(tableACLBoot, "id", globalKey)
	if raw != nil {
		t.note(t.txn.Delete(tableACLBoot, raw))
		t.markChanged(string(state.TableACLTokens), t.rev)
	}
}

// ACLPolicy returns a policy by name, or nil.
func (s *Snapshot) ACLPolicy(name string) *structs.ACLPolicy {
	return first[structs.ACLPolicy](s, string(state.TableACLPolicies), "id", name)
}

// ACLPolicies lists every policy sorted by name.
func (s *Snapshot) ACLPolicies() []*structs.ACLPolicy {
	return list[structs.ACLPolicy](s, string(state.TableACLPolicies), "id")
}

// ACLToken returns a token by AccessorID, or nil.
func (s *Snapshot) ACLToken(accessorID string) *structs.ACLToken {
	if accessorID == "" {
		return nil
	}
	return first[structs.ACLToken](s, string(state.TableACLTokens), "id", accessorID)
}

// ACLTokenBySecretHash returns the token whose SecretHash is hash, or nil.
func (s *Snapshot) ACLTokenBySecretHash(hash string) *structs.ACLToken {
	if hash == "" {
		return nil
	}
	return first[structs.ACLToken](s, string(state.TableACLTokens), tokenBySecret, hash)
}

// ACLTokens lists every token sorted by AccessorID.
func (s *Snapshot) ACLTokens() []*structs.ACLToken {
	return list[structs.ACLToken](s, string(state.TableACLTokens), "id")
}

// ACLBootstrapIndex is the index of the ACL bootstrap, 0 before it.
func (s *Snapshot) ACLBootstrapIndex() uint64 {
	raw, _ := s.txn.First(tableACLBoot, "id", globalKey)
	if raw == nil {
		return 0
	}
	return raw.(*bootRow).Index
}

var (
	policyName = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)
	secretHash = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// PrepareACLPolicies validates policies and returns copies ready to store
// (indexes cleared). A name must be 1-128 letters, digits or dashes, as
// Nomad's. Errors wrap rules.ErrInvalid.
func PrepareACLPolicies(policies []*structs.ACLPolicy) ([]*structs.ACLPolicy, error) {
	out := make([]*structs.ACLPolicy, 0, len(policies))
	for i, p := range policies {
		if p == nil || !policyName.MatchString(p.Name) {
			return nil, fmt.Errorf("upsert ACL policies: policy %d: invalid name: %w", i, rules.ErrInvalid)
		}
		c := *p
		c.CreateIndex, c.ModifyIndex = 0, 0
		out = append(out, &c)
	}
	return out, nil
}

// PrepareACLTokens validates tokens and returns copies ready to store
// (indexes cleared): an AccessorID, a SecretHash that is a hex SHA-256, no
// SecretID, a known Type. Errors wrap rules.ErrInvalid.
func PrepareACLTokens(tokens []*structs.ACLToken) ([]*structs.ACLToken, error) {
	out := make([]*structs.ACLToken, 0, len(tokens))
	for i, tok := range tokens {
		var why string
		switch {
		case tok == nil:
			why = "is null"
		case tok.AccessorID == "":
			why = "field AccessorID is required"
		case tok.SecretID != "":
			why = "field SecretID must be empty (only its hash is stored)"
		case !secretHash.MatchString(tok.SecretHash):
			why = "field SecretHash is not a hex SHA-256"
		case tok.Type != structs.ACLManagementToken && tok.Type != structs.ACLClientToken:
			why = fmt.Sprintf("field Type %q is not management or client", tok.Type)
		}
		if why != "" {
			return nil, fmt.Errorf("upsert ACL tokens: token %d %s: %w", i, why, rules.ErrInvalid)
		}
		c := tok.Copy()
		c.CreateIndex, c.ModifyIndex = 0, 0
		out = append(out, c)
	}
	return out, nil
}

// CheckTokenSecret returns an error wrapping state.ErrConflict when c's
// SecretHash belongs to another token in snap (or to an earlier token of
// the same batch, in seen).
func CheckTokenSecret(snap *Snapshot, c *structs.ACLToken, seen map[string]string) error {
	if other := snap.ACLTokenBySecretHash(c.SecretHash); other != nil && other.AccessorID != c.AccessorID {
		return fmt.Errorf("token %s: secret already used by another token: %w", c.AccessorID, state.ErrConflict)
	}
	if acc, ok := seen[c.SecretHash]; ok && acc != c.AccessorID {
		return fmt.Errorf("token %s: secret already used by another token: %w", c.AccessorID, state.ErrConflict)
	}
	seen[c.SecretHash] = c.AccessorID
	return nil
}
