// Package api is the Go client of wharf's HTTP API, which has the shape of
// Nomad's: the same paths, query parameters (index, wait, prefix,
// namespace, region), X-Nomad-Index header and JSON bodies. Bodies are the
// types of internal/structs. The CLI, the client agent, the ingress and the
// web UI tests all talk to servers through it.
//
// api must never import any other wharf package except internal/structs: it
// is the boundary every remote caller goes through.
package api
