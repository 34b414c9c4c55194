// Package index is the in-memory index both stores share: go-memdb tables
// of jobs, job versions, evaluations, allocations, nodes, node usage and
// service registrations, each with its secondary indexes, plus a table of per-table indexes that
// blocking queries watch.
//
// Writers (the in-memory store directly, the etcd store from its watch)
// open a write transaction, put finished objects (their indexes already
// set) and commit it at a store index; readers take immutable snapshots.
// On commit the index derives each touched job's Status from its
// allocations and evaluations, so every server shows the same status.
// The same transaction keeps, per node, the summed resources and host
// ports of its resource-holding allocations (Snapshot.UsageSummary), so
// the scheduler reads one summary per node instead of its allocations.
//
// index must never import go.etcd.io, internal/state/memstore,
// internal/state/etcdstore, internal/server, internal/scheduler,
// internal/client or internal/api: neither etcd, the stores nor any package
// above state.
package index
