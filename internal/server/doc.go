// Package server is a wharf server: the Nomad-shaped HTTP API over the
// store, blocking queries, and the leader's work (eval broker, scheduling
// workers, plan apply, node heartbeats, blocked evaluations).
//
// server must never import client, drivers or cli.
package server
