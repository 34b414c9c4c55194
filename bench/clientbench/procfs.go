package main

import (
	"strings"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// markerPIDs lists task processes whose environment has MARKER=marker
// (marker may be a prefix).
func markerPIDs(marker string) []int { return procfs.PIDsWhere("environ", "MARKER="+marker) }

// supervisorsOf returns the distinct parents of pids: a raw_exec task's
// parent is its supervisor.
func supervisorsOf(pids []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, p := range pids {
		if pp := procfs.PPID(p); pp > 1 && !seen[pp] {
			seen[pp] = true
			out = append(out, pp)
		}
	}
	return out
}

// killLeftovers kills, with their process groups, the supervisors of the
// marked tasks, then the tasks, then any process whose command line names
// root (a supervisor's state directory lives under an agent's data dir).
func killLeftovers(nonce, root string) {
	tasks := markerPIDs(nonce)
	for _, s := range supervisorsOf(tasks) {
		if strings.Contains(procfs.Cmdline(s), root) {
			_ = syscall.Kill(-s, syscall.SIGKILL)
			_ = syscall.Kill(s, syscall.SIGKILL)
		}
	}
	for _, p := range tasks {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for _, p := range procfs.PIDsWhere("cmdline", root) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// waitGone waits up to d for no process to carry marker.
func waitGone(marker string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if len(markerPIDs(marker)) == 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
