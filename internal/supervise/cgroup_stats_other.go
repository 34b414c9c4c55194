//go:build !linux

package supervise

import (
	"fmt"
	"runtime"
)

// Usage is not available off Linux: there are no cgroups to read.
func (cg *Cgroup) Usage() (*Usage, error) {
	return nil, fmt.Errorf("cgroup stats on %s: %w", runtime.GOOS, ErrNoUsage)
}

// GroupUsage is not available off Linux (no /proc to sum).
func GroupUsage(pgid int) (*Usage, error) {
	return nil, fmt.Errorf("process group %d stats on %s: %w", pgid, runtime.GOOS, ErrNoUsage)
}
