//go:build linux || freebsd

package netlimit

import "syscall"

// Limit returns RLIMIT_NOFILE's soft and hard limits.
func Limit() (soft, hard int, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	return clamp(r.Cur), clamp(r.Max), nil
}

// RaiseLimit raises RLIMIT_NOFILE's soft limit to its hard limit and
// returns both.
func RaiseLimit() (soft, hard int, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return Limit()
		}
	}
	return Limit()
}

// SetLimit sets RLIMIT_NOFILE's soft and hard limits to n (raising the
// hard limit needs privileges).
func SetLimit(n int) error {
	var r syscall.Rlimit
	setBoth(&r.Cur, &r.Max, n)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
}

// setBoth sets a soft and a hard limit to n, whatever their type (uint64
// on Linux, int64 on FreeBSD).
func setBoth[T int64 | uint64](soft, hard *T, n int) {
	*soft, *hard = T(n), T(n)
}

// clamp bounds a limit (RLIM_INFINITY included) to an int that budgets
// can divide.
func clamp[T int64 | uint64](v T) int {
	if v > 1<<30 || v < 0 {
		return 1 << 30
	}
	return int(v)
}
