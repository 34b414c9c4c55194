package index

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// Indexes of the services table. Secondary indexes of memdb order the
// objects of one key by primary key (ID), so every list below comes out
// sorted by ID within its key.
const (
	svcByName   = "name"    // ServiceName
	svcByNSName = "ns_name" // Namespace, ServiceName
	svcByNode   = "node"    // NodeID
	svcByAlloc  = "alloc"   // AllocID
)

type svc = structs.ServiceRegistration

// servicesTable is the schema of the service registrations table.
func servicesTable() *memdb.TableSchema {
	return table(string(state.TableServices),
		primary(fields(func(r *svc) string { return r.ID })),
		secondary(svcByName, fields(func(r *svc) string { return r.ServiceName })),
		secondary(svcByNSName, fields(func(r *svc) string { return r.Namespace },
			func(r *svc) string { return r.ServiceName })),
		secondary(svcByNode, fields(func(r *svc) string { return r.NodeID })),
		secondary(svcByAlloc, fields(func(r *svc) string { return r.AllocID })))
}

// UpsertServiceRegistration puts a service registration.
func (t *Txn) UpsertServiceRegistration(r *structs.ServiceRegistration) {
	t.insert(state.TableServices, r)
}

// DeleteServiceRegistration removes a service registration, if present.
func (t *Txn) DeleteServiceRegistration(id string) {
	t.remove(state.TableServices, id)
}

// ServiceRegistration returns a registration by ID, or nil.
func (s *Snapshot) ServiceRegistration(id string) *structs.ServiceRegistration {
	if id == "" {
		return nil
	}
	return first[svc](s, string(state.TableServices), "id", id)
}

// ServiceRegistrations lists every registration, sorted by service name
// then ID.
func (s *Snapshot) ServiceRegistrations() []*structs.ServiceRegistration {
	return list[svc](s, string(state.TableServices), svcByName)
}

// ServiceRegistrationsByName lists the instances of one service of
// namespace ("*" for all), sorted by ID.
func (s *Snapshot) ServiceRegistrationsByName(namespace, name string) []*structs.ServiceRegistration {
	if name == "" || namespace == "" {
		return nil
	}
	if namespace == "*" {
		return list[svc](s, string(state.TableServices), svcByName, name)
	}
	return list[svc](s, string(state.TableServices), svcByNSName, namespace, name)
}

// ServiceRegistrationsByNode lists a node's registrations, sorted by ID.
func (s *Snapshot) ServiceRegistrationsByNode(nodeID string) []*structs.ServiceRegistration {
	if nodeID == "" {
		return nil
	}
	return list[svc](s, string(state.TableServices), svcByNode, nodeID)
}

// ServiceRegistrationsByAlloc lists an allocation's registrations, sorted
// by ID.
func (s *Snapshot) ServiceRegistrationsByAlloc(allocID string) []*structs.ServiceRegistration {
	if allocID == "" {
		return nil
	}
	return list[svc](s, string(state.TableServices), svcByAlloc, allocID)
}

// PrepareServiceRegistrations validates regs and returns copies ready to
// store: indexes cleared, an empty Namespace set to the default one, and
// for an ID given more than once only its last registration (in the
// position of its first). A registration without ID or ServiceName is an
// error wrapping rules.ErrInvalid that names the field. Both stores call
// it before their write.
func PrepareServiceRegistrations(regs []*structs.ServiceRegistration) ([]*structs.ServiceRegistration, error) {
	out := make([]*structs.ServiceRegistration, 0, len(regs))
	pos := make(map[string]int, len(regs))
	for i, r := range regs {
		switch {
		case r == nil:
			return nil, fmt.Errorf("upsert service registrations: registration %d is null: %w", i, rules.ErrInvalid)
		case r.ID == "":
			return nil, fmt.Errorf("upsert service registrations: registration %d (service %q): field ID is required: %w",
				i, r.ServiceName, rules.ErrInvalid)
		case r.ServiceName == "":
			return nil, fmt.Errorf("upsert service registrations: registration %d (ID %q): field ServiceName is required: %w",
				i, r.ID, rules.ErrInvalid)
		}
		c := r.Copy()
		c.Namespace = rules.Namespace(c.Namespace)
		c.CreateIndex, c.ModifyIndex = 0, 0
		if j, ok := pos[c.ID]; ok {
			out[j] = c
			continue
		}
		pos[c.ID] = len(out)
		out = append(out, c)
	}
	return out, nil
}

// ServiceWrite returns what storing prepared c (from
// PrepareServiceRegistrations) over the registration snap holds means:
// the stored registration (nil when new) and whether c must be written,
// false when its content is unchanged (structs.ServiceRegistration.
// SameContent). When it must, c.CreateIndex is set to the stored one.
func ServiceWrite(snap *Snapshot, c *structs.ServiceRegistration) (stored *structs.ServiceRegistration, write bool) {
	stored = snap.ServiceRegistration(c.ID)
	if stored == nil {
		return nil, true
	}
	if stored.SameContent(c) {
		return stored, false
	}
	c.CreateIndex = stored.CreateIndex
	return stored, true
}

// ServicesUnchanged reports, as an error wrapping state.ErrConflict,
// the first prepared registration whose stored ModifyIndex is not the
// one in seen (0 or absent: the ID must not be stored).
func ServicesUnchanged(snap *Snapshot, prepared []*structs.ServiceRegistration, seen map[string]uint64) error {
	for _, c := range prepared {
		if err := ServiceUnchanged(snap, c.ID, seen[c.ID]); err != nil {
			return err
		}
	}
	return nil
}

// ServiceUnchanged is ServicesUnchanged for one ID.
func ServiceUnchanged(snap *Snapshot, id string, want uint64) error {
	var have uint64
	if stored := snap.ServiceRegistration(id); stored != nil {
		have = stored.ModifyIndex
	}
	switch {
	case have == want:
		return nil
	case want == 0:
		return fmt.Errorf("service registration %q was stored after the check: %w", id, state.ErrConflict)
	case have == 0:
		return fmt.Errorf("service registration %q was removed after the check: %w", id, state.ErrConflict)
	default:
		return fmt.Errorf("service registration %q changed after the check (index %d, not %d): %w", id, have, want, state.ErrConflict)
	}
}
