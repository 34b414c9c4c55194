// Package flavour builds an image from a base image plus a shell script run
// inside a jail, the way pot's flavours customise a base jail: the base
// image's rootfs is copied into a fresh work directory, the script runs in
// it as root under runc (hardened spec from internal/drivers/pot/spec, host
// network so package managers can reach their mirrors), and the result is
// packed with image.BuildWith with the base manifest's defaults overridden
// by the caller's.
//
// flavour must never import the server, client, state or agent packages,
// nor the pot driver itself: it only reuses the driver's spec builder.
package flavour
