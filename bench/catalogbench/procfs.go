package main

import (
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// markerPIDs lists task processes whose environment has MARKER=nonce.
func markerPIDs(nonce string) []int { return procfs.PIDsWhere("environ", "MARKER="+nonce) }

// killLeftovers kills the marked tasks and any process whose command line
// names root (a raw_exec supervisor's state lives under the run's root).
func killLeftovers(nonce, root string) {
	for _, p := range procfs.PIDsWhere("cmdline", root) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for _, p := range markerPIDs(nonce) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// waitGone waits up to d for no process to carry the marker.
func waitGone(nonce string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if len(markerPIDs(nonce)) == 0 {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
