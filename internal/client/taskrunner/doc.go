// Package taskrunner runs one task of an allocation through its life
// cycle, as Nomad's task runner does: ordered prestart hooks build the
// driver's task configuration (one file per hook: environment, task
// config, logs), the driver starts the task, the runner waits for it to
// exit, the restart tracker decides whether it starts again, and a kill
// stops it with its kill signal and timeout. Every step is a task event
// with Nomad's name and a TaskState change (pending -> running -> dead),
// persisted with the driver's handle so a restarted agent re-attaches to
// a task that kept running.
//
// taskrunner must never import internal/server, internal/scheduler,
// internal/state (the cluster store) or internal/api.
package taskrunner
