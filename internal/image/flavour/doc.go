// Package flavour builds an image from a base image plus a shell script run
// inside a jail, the way pot's flavours customise a base jail: the base
// image's rootfs is copied into a fresh work directory, the script runs in
// it as root in a jail (internal/jail: the same hardened spec as a pot
// task's, host network so package managers can reach their mirrors), and
// the result is packed with image.BuildWith with the base manifest's
// defaults overridden by the caller's.
//
// flavour must never import internal/server, internal/client,
// internal/state, internal/agent or internal/drivers: a jail comes from
// internal/jail.
package flavour
