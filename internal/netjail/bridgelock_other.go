//go:build !linux && !freebsd

package netjail

import "os"

// flockExclusive takes no lock where flock is not available.
func flockExclusive(*os.File) error { return nil }
