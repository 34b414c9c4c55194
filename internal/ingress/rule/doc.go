// Package rule is Traefik's HTTP router rule language: matchers such as
// Host(`a.example`), HostRegexp, Path, PathPrefix, PathRegexp, Method,
// Header, HeaderRegexp, Query, QueryRegexp and ClientIP, combined with &&,
// || and ! and parentheses. Parse compiles a rule once (regular
// expressions included); Match then tests a request without allocating.
//
// Both of Traefik's syntaxes are read: v2 templates in HostRegexp, Path
// and PathPrefix ("{sub:[a-z]+}.example.com", "/users/{id:[0-9]+}") and v3
// plain regular expressions. PathPrefix is a plain string prefix, as in
// Traefik: PathPrefix(`/foo`) matches /foo, /foo/ and /foobar. Write
// Path(`/foo`) || PathPrefix(`/foo/`) for a segment-aware prefix.
//
// rule must never import anything outside the standard library.
package rule
