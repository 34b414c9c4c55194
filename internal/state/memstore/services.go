package memstore

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/structs"
)

// UpsertServiceRegistrations creates or replaces registrations by ID in
// one transaction, keeping CreateIndex; a registration whose content is
// unchanged is not rewritten, and when none changed nothing is written
// and the current index is returned.
func (s *Store) UpsertServiceRegistrations(ctx context.Context, regs []*structs.ServiceRegistration) (uint64, error) {
	return s.upsertServices(ctx, regs, nil)
}

// UpsertServiceRegistrationsIf is UpsertServiceRegistrations refused
// with state.ErrConflict, writing nothing, when a stored registration's
// ModifyIndex is not the one seen (0: absent).
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
	return s.write(ctx, func(t *index.Txn, idx uint64, _ time.Time) error {
		snap := t.Snapshot()
		if seen != nil {
			if err := index.ServicesUnchanged(snap, prepared, seen); err != nil {
				return err
			}
		}
		var writes []*structs.ServiceRegistration
		for _, c := range prepared {
			if stored, write := index.ServiceWrite(snap, c); write {
				if stored == nil {
					c.CreateIndex = idx
				}
				c.ModifyIndex = idx
				writes = append(writes, c)
			}
		}
		for _, c := range writes {
			t.UpsertServiceRegistration(c)
		}
		return nil
	})
}

// DeleteServiceRegistrations removes registrations by ID in one
// transaction; unknown IDs are skipped.
func (s *Store) DeleteServiceRegistrations(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		snap := t.Snapshot()
		var gone []string
		for _, id := range ids {
			if snap.ServiceRegistration(id) != nil {
				gone = append(gone, id)
			}
		}
		for _, id := range gone {
			t.DeleteServiceRegistration(id)
		}
		return nil
	})
}
