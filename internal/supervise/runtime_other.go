//go:build !linux

package supervise

import (
	"errors"
	"runtime"
)

// containerCgroup fails off Linux: there are no cgroups.
func containerCgroup(int) (*Cgroup, error) {
	return nil, errors.New("container cgroup: no cgroups on " + runtime.GOOS)
}

// containerOOM is false off Linux.
func containerOOM(*Cgroup) bool { return false }
