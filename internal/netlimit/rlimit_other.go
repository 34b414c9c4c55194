//go:build !linux && !freebsd

package netlimit

import "errors"

var errNoRlimit = errors.New("netlimit: descriptor limits are not supported on this system")

// Limit returns RLIMIT_NOFILE's soft and hard limits.
func Limit() (soft, hard int, err error) { return 0, 0, errNoRlimit }

// RaiseLimit raises RLIMIT_NOFILE's soft limit to its hard limit.
func RaiseLimit() (soft, hard int, err error) { return 0, 0, errNoRlimit }

// SetLimit sets RLIMIT_NOFILE's soft and hard limits to n.
func SetLimit(n int) error { return errNoRlimit }
