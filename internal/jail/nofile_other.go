//go:build !unix

package jail

// MaxNofile is NofileLimit: there is no hard limit to respect here.
func MaxNofile() uint64 { return NofileLimit }
