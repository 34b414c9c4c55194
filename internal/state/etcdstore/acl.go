package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/structs"
)

// tokenValue is a stored token: its JSON (which never holds the
// SecretHash) plus the hash.
type tokenValue struct {
	*structs.ACLToken
	WharfSecretHash string
}

// UpsertACLPolicies creates or replaces policies by name in one
// transaction, each put guarded by the revision it replaces.
func (s *Store) UpsertACLPolicies(ctx context.Context, policies []*structs.ACLPolicy) (uint64, error) {
	prepared, err := index.PrepareACLPolicies(policies)
	if err != nil {
		return 0, err
	}
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		p := &part{}
		for _, c := range prepared {
			v, err := encode(c)
			if err != nil {
				return nil, err
			}
			var rev uint64
			if stored := snap.ACLPolicy(c.Name); stored != nil {
				rev = stored.ModifyIndex
			}
			key := s.keys.policy(c.Name)
			p.modRevIs(key, rev)
			p.put(key, v)
		}
		return p, nil
	})
}

// DeleteACLPolicies removes policies by name; unknown names are skipped.
func (s *Store) DeleteACLPolicies(ctx context.Context, names []string) (uint64, error) {
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		p := &part{}
		for _, n := range names {
			if snap.ACLPolicy(n) != nil {
				p.del(s.keys.policy(n))
			}
		}
		return p, nil
	})
}

// UpsertACLTokens creates or replaces tokens by AccessorID in one
// transaction.
func (s *Store) UpsertACLTokens(ctx context.Context, tokens []*structs.ACLToken) (uint64, error) {
	prepared, err := index.PrepareACLTokens(tokens)
	if err != nil {
		return 0, err
	}
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		p := &part{}
		return p, s.putTokens(snap, p, prepared)
	})
}

func (s *Store) putTokens(snap *index.Snapshot, p *part, prepared []*structs.ACLToken) error {
	seen := map[string]string{}
	for _, c := range prepared {
		if err := index.CheckTokenSecret(snap, c, seen); err != nil {
			return fmt.Errorf("upsert ACL tokens: %w", err)
		}
		v, err := encode(tokenValue{ACLToken: c, WharfSecretHash: c.SecretHash})
		if err != nil {
			return err
		}
		var rev uint64
		if stored := snap.ACLToken(c.AccessorID); stored != nil {
			rev = stored.ModifyIndex
		}
		key := s.keys.token(c.AccessorID)
		p.modRevIs(key, rev)
		p.put(key, v)
	}
	return nil
}

// DeleteACLTokens removes tokens by AccessorID; unknown IDs are skipped.
func (s *Store) DeleteACLTokens(ctx context.Context, accessorIDs []string) (uint64, error) {
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		p := &part{}
		for _, id := range accessorIDs {
			if snap.ACLToken(id) != nil {
				p.del(s.keys.token(id))
			}
		}
		return p, nil
	})
}

// BootstrapACL puts the bootstrap marker and the token in one transaction
// that requires the marker not to exist: of two racing bootstraps the
// loser's compare fails, and its rebuild sees the marker.
func (s *Store) BootstrapACL(ctx context.Context, token *structs.ACLToken) (uint64, error) {
	prepared, err := index.PrepareACLTokens([]*structs.ACLToken{token})
	if err != nil {
		return 0, err
	}
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		if snap.ACLBootstrapIndex() != 0 {
			return nil, fmt.Errorf("bootstrap ACL: %w", state.ErrACLBootstrapped)
		}
		p := &part{}
		p.modRevIs(s.keys.aclBootstrap(), 0)
		p.put(s.keys.aclBootstrap(), "")
		return p, s.putTokens(snap, p, prepared)
	})
}

// ResetACLBootstrap puts the token and the marker again in one
// transaction that requires the marker's revision to be resetIndex (the
// bootstrap index), so a reset index works once.
func (s *Store) ResetACLBootstrap(ctx context.Context, token *structs.ACLToken, resetIndex uint64) (uint64, error) {
	prepared, err := index.PrepareACLTokens([]*structs.ACLToken{token})
	if err != nil {
		return 0, err
	}
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		if cur := snap.ACLBootstrapIndex(); cur == 0 || cur != resetIndex {
			return nil, fmt.Errorf("reset ACL bootstrap: index %d is not the bootstrap's: %w", resetIndex, state.ErrACLBootstrapped)
		}
		p := &part{}
		p.modRevIs(s.keys.aclBootstrap(), resetIndex)
		p.put(s.keys.aclBootstrap(), "")
		return p, s.putTokens(snap, p, prepared)
	})
}

func decodePolicy(kv *mvccpb.KeyValue) (*structs.ACLPolicy, error) {
	p := &structs.ACLPolicy{}
	if err := json.Unmarshal(kv.Value, p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	p.CreateIndex, p.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return p, nil
}

func decodeToken(kv *mvccpb.KeyValue) (*structs.ACLToken, error) {
	v := tokenValue{ACLToken: &structs.ACLToken{}}
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	v.SecretHash, v.SecretID = v.WharfSecretHash, ""
	v.CreateIndex, v.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return v.ACLToken, nil
}
