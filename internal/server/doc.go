// Package server is a wharf server: the Nomad-shaped HTTP API over the
// store, blocking queries, and the leader's work (eval broker, scheduling
// workers, plan apply, node heartbeats, blocked evaluations).
//
// server must never import internal/client, internal/drivers or
// internal/cli.
package server
