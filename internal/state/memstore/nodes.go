package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpsertNode registers or replaces a node, keeping its CreateIndex.
func (s *Store) UpsertNode(ctx context.Context, node *structs.Node) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		var stored *structs.Node
		if node != nil {
			stored = t.Snapshot().Node(node.ID)
		}
		c, err := rules.PrepareNode(stored, node, now)
		if err != nil {
			return err
		}
		if c.CreateIndex == 0 {
			c.CreateIndex = idx
		}
		c.ModifyIndex = idx
		t.UpsertNode(c)
		return nil
	})
}

// UpdateNodeStatus sets a node's status and writes evals with it.
func (s *Store) UpdateNodeStatus(ctx context.Context, nodeID, status string, evals []*structs.Evaluation) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		stored := t.Snapshot().Node(nodeID)
		if stored == nil {
			return fmt.Errorf("update node %s status: %w", nodeID, state.ErrNotFound)
		}
		if c := rules.SetNodeStatus(stored, status, now); c != nil {
			c.ModifyIndex = idx
			t.UpsertNode(c)
		}
		return writeEvals(t, evals, idx, now)
	})
}

// DeleteNode removes a node; state.ErrNotFound if it is unknown.
func (s *Store) DeleteNode(ctx context.Context, nodeID string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		if t.Snapshot().Node(nodeID) == nil {
			return fmt.Errorf("delete node %s: %w", nodeID, state.ErrNotFound)
		}
		t.DeleteNode(nodeID)
		return nil
	})
}
