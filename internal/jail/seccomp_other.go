//go:build !linux

package jail

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrNoSeccomp is returned by BuildSpec where Docker's profile does not exist.
var ErrNoSeccomp = errors.New("seccomp profile is only available on linux")

// defaultSeccomp fails: OCI specs with seccomp are only built on Linux.
func defaultSeccomp(*specs.Spec) (*specs.LinuxSeccomp, error) {
	return nil, ErrNoSeccomp
}
