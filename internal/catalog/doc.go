// Package catalog is wharf's Consul-shaped view of the service catalog:
// it turns the store's service registrations and nodes into catalog
// nodes, service instances and health checks as Consul presents them
// (a node check "serfHealth" per node, one check per service check), with
// the filters Consul's API and DNS apply (tag, passing only).
//
// The HTTP API (consulapi) and the DNS server (dns) are built on it. The
// catalog reads through the narrow Store interface, which state.Store
// satisfies.
//
// catalog must never import any other wharf package except internal/state
// and internal/structs: it depends on the store's contract, never on the
// server, scheduler, client or api.
package catalog
