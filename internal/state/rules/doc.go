// Package rules holds the write semantics both stores share, as pure
// functions on structs: which job version a register or deregister
// stores, how client and server fields of an allocation merge, what a
// placement keeps of the allocation it replaces, and when a plan conflicts
// with the state it was computed from. The stores only decide how the
// result is written (a memdb transaction, an etcd transaction).
//
// rules must never import go.etcd.io, internal/state/index,
// internal/state/memstore, internal/state/etcdstore, internal/server,
// internal/scheduler, internal/client or internal/api: neither etcd, the
// index, the stores nor any package above state.
package rules
