package index

import "github.com/wharf-project/wharf/internal/structs"

// Placeholders until the services table lands (being built now).

// ServiceRegistration is not implemented yet.
func (s *Snapshot) ServiceRegistration(string) *structs.ServiceRegistration { return nil }

// ServiceRegistrations is not implemented yet.
func (s *Snapshot) ServiceRegistrations() []*structs.ServiceRegistration { return nil }

// ServiceRegistrationsByName is not implemented yet.
func (s *Snapshot) ServiceRegistrationsByName(string, string) []*structs.ServiceRegistration {
	return nil
}

// ServiceRegistrationsByNode is not implemented yet.
func (s *Snapshot) ServiceRegistrationsByNode(string) []*structs.ServiceRegistration { return nil }

// ServiceRegistrationsByAlloc is not implemented yet.
func (s *Snapshot) ServiceRegistrationsByAlloc(string) []*structs.ServiceRegistration { return nil }
