// Package httpapi holds the HTTP helpers that wharf's two JSON APIs
// share, the Nomad-shaped one (internal/server) and the Consul-shaped one
// (internal/catalog/consulapi): an error that carries its HTTP status,
// bounded reading and decoding of JSON request bodies, JSON answers, and
// cutting text to a size without splitting a UTF-8 character.
//
// It gives the parts, not the shape: Nomad and Consul word and frame
// their error answers differently, and each API keeps its own wording on
// top of these helpers.
//
// httpapi must never import anything outside the standard library except
// internal/jsonlimit: not the server, catalog, state, client or agent
// packages.
package httpapi
