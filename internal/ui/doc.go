// Package ui is wharf's web UI: a single-page app of plain JavaScript
// modules and CSS embedded in the binary (go:embed), served under /ui/
// with index.html for client-side routes, long-lived caching of
// versioned assets and gzip. The app talks to the same origin's /v1 API;
// /ui/api/ingress/ reaches the local ingress dashboard.
//
// ui must never import internal/server, internal/client, internal/agent,
// internal/state or internal/drivers: it only serves files and proxies to
// an address it is given.
package ui
