// Package fetch is the client side of the image registry: a shared on-disk
// cache that downloads an image's files once (resuming interrupted
// downloads, with a progress deadline instead of a total timeout), verifies
// its digest and signature, unpacks it safely and hands out the unpacked
// rootfs to every later deployment.
//
// Layout under Config.Dir:
//
//	downloads/<name>_<tag>.tar.zst|.json|.sha256|.sig  verified image files
//	downloads/<name>_<tag>.tar.zst.part                 interrupted download
//	rootfs/<name>_<tag>/                                unpacked rootfs
//
// It speaks to registries only through internal/regclient. This package
// must never import internal/server, internal/client, internal/drivers or
// internal/state; it depends only on internal/image, internal/regclient
// and the standard library.
package fetch
