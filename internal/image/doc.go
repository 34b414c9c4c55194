// Package image is wharf's jail image format: a zstd-compressed rootfs
// tarball, a JSON manifest, a sha256 digest file and an optional ed25519
// signature, plus building, signing, verifying and safely unpacking them.
//
// File names follow pot's scheme "<name>_<tag>.<ext>" under a registry base
// URL (see Files). The digest file is the root of trust: it lists the sha256
// of the tarball and of the manifest, and the signature covers its bytes.
//
// This package must never import internal/server, internal/client,
// internal/drivers or internal/state; it is a leaf used by the pot driver,
// the registry and the CLI.
package image
