// Package executor is the supervised-task core the task drivers share (the
// role of Nomad's drivers/shared/executor): it starts a task under its own
// supervisor process (internal/supervise) from a ready supervisor spec,
// keeps the table of the tasks a driver holds, re-attaches to them after an
// agent restart, and waits for, stops, signals, measures, destroys and
// execs into them. raw_exec builds a spec for a host command, pot one for
// a jail; everything after that is written here once.
//
// executor must never import internal/client, internal/server,
// internal/state, internal/drivers/rawexec, internal/drivers/pot or
// internal/drivers/fake: drivers import it, not the other way round.
package executor
