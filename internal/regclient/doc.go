// Package regclient is the client side of the image registry protocol
// that internal/registry serves: it lists a registry's images, uploads and
// deletes image files with a bearer token, and opens downloads of files,
// ranged to resume. The command line (image push, ls, rm) and the image
// fetcher both speak to registries only through it.
//
// Every answer is treated as hostile: error bodies and image lists are
// read up to a bound, a list must be JSON, and a ranged answer must start
// where it was asked to start and announce a consistent size, so a caller
// can tell a complete download from a truncated one.
//
// regclient must never import anything outside the standard library except
// internal/registry (for the protocol's names and types): not the image,
// server, client, agent, state or cli packages.
package regclient
