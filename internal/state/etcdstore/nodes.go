package etcdstore

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpsertNode registers or replaces a node; etcd keeps the key's
// CreateRevision, which is the node's CreateIndex.
func (s *Store) UpsertNode(ctx context.Context, node *structs.Node) (uint64, error) {
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		var stored *structs.Node
		if node != nil {
			stored = snap.Node(node.ID)
		}
		c, err := rules.PrepareNode(stored, node, s.now())
		if err != nil {
			return nil, err
		}
		v, err := encodeNode(c)
		if err != nil {
			return nil, err
		}
		p := &part{}
		p.put(s.keys.node(c.ID), v)
		return p, nil
	})
}

// UpdateNodeStatus sets a node's status, guarded by its revision, and
// writes evals in the same transaction.
func (s *Store) UpdateNodeStatus(ctx context.Context, nodeID, status string, evals []*structs.Evaluation) (uint64, error) {
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		stored := snap.Node(nodeID)
		if stored == nil {
			return nil, fmt.Errorf("update node %s status: %w", nodeID, state.ErrNotFound)
		}
		now := s.now()
		prepared, err := rules.PrepareEvals(evals, now)
		if err != nil {
			return nil, err
		}
		p := &part{}
		if c := rules.SetNodeStatus(stored, status, now); c != nil {
			v, err := encodeNode(c)
			if err != nil {
				return nil, err
			}
			p.modRevIs(s.keys.node(nodeID), stored.ModifyIndex)
			p.put(s.keys.node(nodeID), v)
		}
		return p, s.putEvals(p, prepared)
	})
}

// putEvals adds puts of prepared evals to p.
func (s *Store) putEvals(p *part, evals []*structs.Evaluation) error {
	for _, e := range evals {
		v, err := encodeEval(e, false)
		if err != nil {
			return err
		}
		p.put(s.keys.eval(e.ID), v)
	}
	return nil
}

// DeleteNode removes a node and its usage key; state.ErrNotFound if it is
// unknown.
func (s *Store) DeleteNode(ctx context.Context, nodeID string) (uint64, error) {
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		if snap.Node(nodeID) == nil {
			return nil, fmt.Errorf("delete node %s: %w", nodeID, state.ErrNotFound)
		}
		p := &part{}
		p.del(s.keys.node(nodeID))
		p.del(s.keys.usage(nodeID))
		return p, nil
	})
}
