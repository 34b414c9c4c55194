package etcdstore

import (
	"context"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpdateAllocsFromClient merges the client-owned fields into the latest
// stored allocations, each guarded by its revision (a lost race is
// rebuilt from the newer version), and writes evals with them. A large
// update is split in several transactions.
func (s *Store) UpdateAllocsFromClient(ctx context.Context, allocs []*structs.Allocation, evals []*structs.Evaluation) (uint64, error) {
	prepared, err := rules.PrepareEvals(evals, s.now())
	if err != nil {
		return 0, err
	}
	n := len(allocs)
	return s.write(ctx, n+len(prepared), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < n; i++ {
			p, err := s.clientPart(snap, allocs[i])
			if err != nil {
				return i, err
			}
			if p != nil && !b.add(p) {
				return i, nil
			}
		}
		to, err := s.fillEvals(b, prepared, i-n)
		return n + to, err
	}, nil)
}

// clientPart merges one client update into the stored allocation; nil
// when the allocation is unknown.
func (s *Store) clientPart(snap *index.Snapshot, upd *structs.Allocation) (*part, error) {
	stored := snap.Alloc(upd.ID)
	if stored == nil {
		return nil, nil
	}
	c := rules.MergeClient(stored, upd, s.now())
	p := &part{}
	if err := s.putAlloc(p, stored, c, false); err != nil {
		return nil, err
	}
	return p, nil
}

// putAlloc writes c over stored (nil for a new allocation): a compare on
// the stored version, the put, the delete of a stored key that moved, and
// usage touches of the nodes whose resource-holding set changes.
func (s *Store) putAlloc(p *part, stored, c *structs.Allocation, serverWrite bool) error {
	v, err := encodeAlloc(c, serverWrite)
	if err != nil {
		return err
	}
	key := s.keys.alloc(c)
	if stored != nil {
		old := s.keys.alloc(stored)
		p.modRevIs(old, stored.ModifyIndex)
		if old != key {
			p.del(old)
			if rules.HoldsResources(stored) && stored.NodeID != c.NodeID {
				p.putUsage(s.keys, stored.NodeID)
			}
		}
	}
	p.put(key, v)
	if rules.HoldsResources(stored) != rules.HoldsResources(c) {
		p.putUsage(s.keys, c.NodeID)
	}
	return nil
}
