package scheduler

import "testing"

func TestVersions(t *testing.T) {
	tests := []struct {
		v, c string
		want bool
	}{
		{"1.2.3", "= 1.2.3", true},
		{"1.2", "= 1.2.0", true},
		{"v1.2.3", ">= 1.2", true},
		{"1.10.0", "> 1.9", true},
		{"2.0.0", ">= 1.2, < 2", false},
		{"1.9.9", ">= 1.2, < 2", true},
		{"1.2.0-beta1", "< 1.2.0", true},
		{"1.2.0-beta2", "> 1.2.0-beta1", true},
		{"1.2.0+build7", "= 1.2.0", true},
		{"1.2.9", "~> 1.2.3", true},
		{"1.3.0", "~> 1.2.3", false},
		{"1.9", "~> 1.2", true},
		{"2.0", "~> 1.2", false},
		{"1.0", "1.0", true},
		{"x.y", ">= 1", false},
	}
	for _, tt := range tests {
		vc, err := parseVersionConstraint(tt.c)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.c, err)
		}
		v, ok := parseVersion(tt.v)
		if got := ok && vc.check(v); got != tt.want {
			t.Errorf("%s %s = %v, want %v", tt.v, tt.c, got, tt.want)
		}
	}
	for _, bad := range []string{"", ">=", "1.x", ">= 1, "} {
		if _, err := parseVersionConstraint(bad); err == nil {
			t.Errorf("parse %q: no error", bad)
		}
	}
}
