package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpsertACLPolicies creates or replaces policies by name, keeping
// CreateIndex.
func (s *Store) UpsertACLPolicies(ctx context.Context, policies []*structs.ACLPolicy) (uint64, error) {
	prepared, err := index.PrepareACLPolicies(policies)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		snap := t.Snapshot()
		for _, c := range prepared {
			c.CreateIndex = idx
			if stored := snap.ACLPolicy(c.Name); stored != nil {
				c.CreateIndex = stored.CreateIndex
			}
			c.ModifyIndex = idx
		}
		for _, c := range prepared {
			t.UpsertACLPolicy(c)
		}
		return nil
	})
}

// DeleteACLPolicies removes policies by name; unknown names are skipped.
func (s *Store) DeleteACLPolicies(ctx context.Context, names []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		for _, n := range names {
			if t.Snapshot().ACLPolicy(n) != nil {
				t.DeleteACLPolicy(n)
			}
		}
		return nil
	})
}

// UpsertACLTokens creates or replaces tokens by AccessorID, keeping
// CreateIndex.
func (s *Store) UpsertACLTokens(ctx context.Context, tokens []*structs.ACLToken) (uint64, error) {
	prepared, err := index.PrepareACLTokens(tokens)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		return putTokens(t, prepared, idx)
	})
}

func putTokens(t *index.Txn, prepared []*structs.ACLToken, idx uint64) error {
	snap := t.Snapshot()
	seen := map[string]string{}
	for _, c := range prepared {
		if err := index.CheckTokenSecret(snap, c, seen); err != nil {
			return fmt.Errorf("upsert ACL tokens: %w", err)
		}
		c.CreateIndex = idx
		if stored := snap.ACLToken(c.AccessorID); stored != nil {
			c.CreateIndex = stored.CreateIndex
		}
		c.ModifyIndex = idx
	}
	for _, c := range prepared {
		t.UpsertACLToken(c)
	}
	return nil
}

// DeleteACLTokens removes tokens by AccessorID; unknown IDs are skipped.
func (s *Store) DeleteACLTokens(ctx context.Context, accessorIDs []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		for _, id := range accessorIDs {
			if t.Snapshot().ACLToken(id) != nil {
				t.DeleteACLToken(id)
			}
		}
		return nil
	})
}

// ResetACLBootstrap stores token and moves the bootstrap marker when the
// current bootstrap index is resetIndex, or returns
// state.ErrACLBootstrapped.
func (s *Store) ResetACLBootstrap(ctx context.Context, token *structs.ACLToken, resetIndex uint64) (uint64, error) {
	prepared, err := index.PrepareACLTokens([]*structs.ACLToken{token})
	if err != nil {
		return 0, err
	}
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		if cur := t.Snapshot().ACLBootstrapIndex(); cur == 0 || cur != resetIndex {
			return fmt.Errorf("reset ACL bootstrap: index %d is not the bootstrap's: %w", resetIndex, state.ErrACLBootstrapped)
		}
		if err := putTokens(t, prepared, idx); err != nil {
			return err
		}
		t.SetACLBootstrap(idx)
		return nil
	})
}

// BootstrapACL stores the first management token and the bootstrap
// marker together, or returns state.ErrACLBootstrapped.
func (s *Store) BootstrapACL(ctx context.Context, token *structs.ACLToken) (uint64, error) {
	prepared, err := index.PrepareACLTokens([]*structs.ACLToken{token})
	if err != nil {
		return 0, err
	}
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		if t.Snapshot().ACLBootstrapIndex() != 0 {
			return fmt.Errorf("bootstrap ACL: %w", state.ErrACLBootstrapped)
		}
		if err := putTokens(t, prepared, idx); err != nil {
			return err
		}
		t.SetACLBootstrap(idx)
		return nil
	})
}
