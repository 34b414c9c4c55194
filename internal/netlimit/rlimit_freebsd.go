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
	r := syscall.Rlimit{Cur: int64(n), Max: int64(n)}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
}

func clamp(v int64) int {
	if v > 1<<30 {
		return 1 << 30
	}
	return int(v)
}
