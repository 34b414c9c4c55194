// Package allocrunner runs one allocation on the client: its alloc-level
// hooks (the allocation directory), one task runner per task of its
// group, the allocation's client status derived from its tasks' states
// (as Nomad does), and the reactions between tasks (a failed task kills
// its siblings; a dead leader kills the rest). It reports every change
// through a callback and stops its tasks when the servers stop the
// allocation.
//
// allocrunner must never import internal/server, internal/scheduler,
// internal/state (the cluster store) or internal/api.
package allocrunner
