// Package tmpl renders Go text templates from the service catalog to files,
// the way consul-template does: templates call services, service and nodes,
// each call becomes a dependency that follows the catalog with blocking
// queries (pushed, never polled), and a change re-renders the templates,
// writes changed output atomically and runs the template's reload command.
//
// tmpl talks to a server only through internal/api; it must never import
// internal/server, internal/state, internal/scheduler, internal/client or
// internal/cli.
package tmpl
