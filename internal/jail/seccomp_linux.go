//go:build linux

package jail

import (
	"fmt"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultSeccomp returns Docker's default seccomp profile filtered for this
// architecture, kernel and the spec's bounding capabilities (the profile
// allows some syscalls only to holders of a capability).
func defaultSeccomp(s *specs.Spec) (*specs.LinuxSeccomp, error) {
	p, err := seccomp.GetDefaultProfile(s)
	if err != nil {
		return nil, fmt.Errorf("seccomp default profile: %w", err)
	}
	return p, nil
}
