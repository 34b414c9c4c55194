//go:build unix

package jail

import "golang.org/x/sys/unix"

// MaxNofile is NofileLimit, or this process's hard RLIMIT_NOFILE when that
// is lower: raising it needs CAP_SYS_RESOURCE, which the runtime may lack,
// and it would then fail to start the jail.
func MaxNofile() uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return NofileLimit
	}
	// The hard limit is int64 on some systems (RLIM_INFINITY is -1 there,
	// far above NofileLimit as a uint64).
	return min(uint64(rl.Max), NofileLimit)
}
