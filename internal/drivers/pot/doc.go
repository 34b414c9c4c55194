// Package pot is the pot task driver: each task is a jail started from a
// registry image. On Linux a jail is an OCI container run by runc under the
// per-task supervisor (internal/supervise), on an overlay of the cached
// image, with its own network namespace on the jail bridge and port
// forwarding from the host (internal/netjail); the OCI spec comes from
// pot/spec. On FreeBSD the same driver will drive pot(8); until then it
// reports itself undetected there.
//
// The supervised tasks themselves (start, wait, stop, signal, stats, exec
// sessions, the task table) are the shared core in drivers/shared/executor;
// pot adds the jail around them.
//
// pot must never import internal/client, internal/server, internal/state,
// internal/drivers/rawexec or internal/drivers/fake: drivers stay apart.
package pot
