// Package spec turns a pot task (its driver config block and the
// drivers.TaskConfig the client hands the driver) into an OCI runtime
// specification that runc can run: namespaces, mounts, cgroup resources,
// capabilities, seccomp, masked paths. It only builds data structures: it
// does no I/O (no files written, no processes started), so it compiles on
// every OS; the seccomp profile is only available when built for Linux.
//
// spec must never import client, server, state or any runc/overlay code:
// the pot driver does the mounting, file writing and runc invocation.
package spec
