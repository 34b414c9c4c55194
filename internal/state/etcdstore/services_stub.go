package etcdstore

import (
	"context"
	"errors"

	"github.com/wharf-project/wharf/internal/structs"
)

// Placeholders until the services table lands (being built now).

// UpsertServiceRegistrations is not implemented yet.
func (s *Store) UpsertServiceRegistrations(context.Context, []*structs.ServiceRegistration) (uint64, error) {
	return 0, errors.New("service registrations are not implemented yet")
}

// DeleteServiceRegistrations is not implemented yet.
func (s *Store) DeleteServiceRegistrations(context.Context, []string) (uint64, error) {
	return 0, errors.New("service registrations are not implemented yet")
}
