// Package consulapi serves the Consul-shaped HTTP API of wharf's catalog
// (the paths and JSON of Consul's /v1/catalog, /v1/health, /v1/agent and
// /v1/status endpoints, with blocking queries and the X-Consul-* headers),
// so Consul's official Go client and tools built on it work unchanged.
//
// Services registered through /v1/agent/service/register are written to
// the store as service registrations of the local node without an
// allocation; only TTL checks (updated through /v1/agent/check/*) are
// accepted for them, since wharf runs checks only for its own tasks.
//
// consulapi must never import internal/server, internal/scheduler,
// internal/client or internal/api.
package consulapi
