package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestSuperviseCommandIsHidden(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(stdout, stderr string) bool
	}{
		{"not listed in help", []string{"--help"}, exitOK,
			func(stdout, _ string) bool { return !strings.Contains(stdout, "supervise") }},
		{"state dir required", []string{"supervise"}, exitError,
			func(_, stderr string) bool { return strings.Contains(stderr, "accepts 1 arg") }},
		{"help of its own", []string{"supervise", "--help"}, exitOK,
			func(stdout, _ string) bool { return strings.Contains(stdout, "supervise STATE_DIR") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(tc.args, &stdout, &stderr)
			if code != tc.wantCode || !tc.check(stdout.String(), stderr.String()) {
				t.Errorf("wharf %v = %d\nstdout: %s\nstderr: %s", tc.args, code, stdout.String(), stderr.String())
			}
		})
	}
}
