// Package jail is the one home of the jail primitive: the hardened OCI
// runtime specification of a jail, built from a plain Input; the Runtime
// type through which every caller creates, starts, runs, execs into,
// signals, lists, watches and deletes jails; and the overlay root
// filesystem a jail runs on.
//
// The runtime is split by platform once: runtime_linux.go drives runc;
// runtime_other.go is where the FreeBSD runtime (pot(8)) goes, and until
// then every operation there fails with ErrUnsupported. The spec builder
// does no I/O and compiles everywhere; Docker's default seccomp profile is
// only available on Linux.
//
// jail must never import internal/drivers, internal/client,
// internal/server, internal/state or internal/supervise: the pot driver,
// the task supervisor and the image flavour builder import it, never the
// other way round, and a jail knows nothing of Nomad's tasks.
package jail
