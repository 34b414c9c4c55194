// Package client is wharf's node agent, after Nomad's client: it
// fingerprints the machine and its drivers, registers the node with the
// servers over the HTTP API (failing over between them, backing off with
// jitter when none answers), heartbeats within the TTL they grant,
// watches the node's allocations with blocking queries and runs each
// through an alloc runner (allocrunner, taskrunner). Allocation status
// changes are coalesced and sent in batches. Everything needed to re-attach
// to running tasks is persisted under the data dir (client/state), so an
// agent restart never restarts or duplicates a task.
//
// Data dir layout:
//
//	<DataDir>/client/node.json            node ID and secret (kept across restarts)
//	<DataDir>/client/allocs/<id>/...      allocation, task states, driver handles
//	<DataDir>/alloc/<id>/...              allocation directories (see allocdir)
//
// Garbage: when the servers stop an allocation and its tasks are dead, its
// runner is destroyed (driver tasks released, persisted state deleted);
// an allocation the servers no longer list is destroyed the same way.
// Allocation directories (with their logs) outlive their runners: the
// newest DefaultGCMaxAllocs (50) directories of terminal allocations are
// kept, older ones are removed whenever the allocations change.
//
// client must never import internal/server, internal/scheduler or
// internal/state (the cluster store); it talks to servers only through
// internal/api.
package client
