// Package watch follows the service catalog with blocking queries through
// the API client and hands each new ingress configuration to a Target
// (the proxy). It is push, never a fixed poll: a blocking query on GET
// /v1/services returns when any registration changes, then the instances
// of every service are read (GET /v1/service/:name, a bounded number at a
// time), converted to config.Instance and built with config.Build. The
// target is updated only when the instances changed; bursts of changes
// are coalesced by a short debounce; while the API is down the watcher
// retries with backoff and the last good table stays in place.
//
// watch must never import internal/server, internal/scheduler,
// internal/client, internal/state or internal/ingress/proxy: it is a client
// of the API like the CLI.
package watch
