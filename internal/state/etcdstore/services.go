package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpsertServiceRegistrations creates or replaces registrations by ID.
// Each put is guarded by the revision of the registration it replaces (or
// its absence), so the decision to skip an unchanged registration is never
// made on a stale view: a lost race is rebuilt once the index caught up.
// etcd keeps the key's CreateRevision, which is the CreateIndex. The
// registrations go in one transaction when they fit in etcd's limits
// (MaxTxnOps, MaxRequestBytes), else in as few as fit, like a large
// plan; if a later transaction fails the earlier ones stay applied. When
// nothing changed nothing is written and the current index is returned.
func (s *Store) UpsertServiceRegistrations(ctx context.Context, regs []*structs.ServiceRegistration) (uint64, error) {
	return s.upsertServices(ctx, regs, nil)
}

// UpsertServiceRegistrationsIf is UpsertServiceRegistrations refused
// with state.ErrConflict when a stored registration's ModifyIndex is not
// the one seen (0: absent). Every put is already guarded by the mod
// revision of what it replaces, so a write between the index's view and
// the commit fails the transaction, which is rebuilt on the newer view
// and then refused here.
func (s *Store) UpsertServiceRegistrationsIf(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error) {
	if seen == nil {
		seen = map[string]uint64{}
	}
	return s.upsertServices(ctx, regs, seen)
}

func (s *Store) upsertServices(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error) {
	prepared, err := index.PrepareServiceRegistrations(regs)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, len(prepared), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		if seen != nil {
			if err := index.ServicesUnchanged(snap, prepared[from:], seen); err != nil {
				return from, err
			}
		}
		i := from
		for ; i < len(prepared); i++ {
			p, err := s.servicePart(snap, prepared[i])
			if err != nil {
				return i, err
			}
			if p != nil && !b.add(p) {
				return i, nil
			}
		}
		return i, nil
	}, nil)
}

// servicePart is the guarded put of one prepared registration, or nil
// when its content is unchanged.
func (s *Store) servicePart(snap *index.Snapshot, c *structs.ServiceRegistration) (*part, error) {
	stored, write := index.ServiceWrite(snap, c)
	if !write {
		return nil, nil
	}
	v, err := encode(c)
	if err != nil {
		return nil, err
	}
	var rev uint64
	if stored != nil {
		rev = stored.ModifyIndex
	}
	key := s.keys.service(c.ID)
	p := &part{}
	p.modRevIs(key, rev)
	p.put(key, v)
	return p, nil
}

// DeleteServiceRegistrations removes registrations by ID; IDs the index
// does not hold are skipped, and when none is left nothing is written. Like
// UpsertServiceRegistrations it uses one transaction when the deletes fit.
func (s *Store) DeleteServiceRegistrations(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, len(ids), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < len(ids); i++ {
			if snap.ServiceRegistration(ids[i]) == nil {
				continue
			}
			p := &part{}
			p.del(s.keys.service(ids[i]))
			if !b.add(p) {
				break
			}
		}
		return i, nil
	}, nil)
}

// decodeService decodes a registration; its indexes are the key's
// revisions.
func decodeService(kv *mvccpb.KeyValue) (*structs.ServiceRegistration, error) {
	r := &structs.ServiceRegistration{}
	if err := json.Unmarshal(kv.Value, r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	r.CreateIndex, r.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return r, nil
}
