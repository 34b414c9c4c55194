// Package spec turns a pot task (its driver config block and the
// drivers.TaskConfig the client hands the driver) into the plain input of
// internal/jail's spec builder: argv from the pot command and args, Nomad's
// task directories and variables, the task's mounts and resources. The
// hardening itself (namespaces, capabilities, seccomp, masked paths,
// limits) is jail.BuildSpec's. It only builds data structures: it does no
// I/O (no files written, no processes started), so it compiles on every OS.
//
// spec must never import internal/client, internal/server or
// internal/state; it runs no runc and mounts nothing: the pot driver does
// the mounting and file writing, internal/jail the runtime invocation.
package spec
