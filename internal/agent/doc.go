// Package agent reads the agent configuration (HCL) and wires the roles one
// wharf process holds: today the server (with its embedded or external
// etcd). The dev agent holds every role with the walk-through's defaults.
//
// agent must never import internal/cli.
package agent
