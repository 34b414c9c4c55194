package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// it is 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTicks returns utime+stime of pid from /proc/PID/stat.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	// The command name may hold spaces; fields start after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat for %d", pid)
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st, nil
}

// ppid returns the parent of pid, or 0.
func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// rssKB returns VmRSS of pid in KiB.
func rssKB(pid int) (int, error) { return statusKB(pid, "status", "VmRSS") }

// statusKB returns a "Name:   N kB" field of /proc/PID/file (status or
// smaps_rollup), in KiB.
func statusKB(pid int, file, field string) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", file, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s in %s of %d", field, file, pid)
}

// pidsWhere lists processes whose /proc file (environ or cmdline)
// contains needle.
func pidsWhere(file, needle string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), file))
		if err == nil && strings.Contains(string(b), needle) {
			out = append(out, pid)
		}
	}
	return out
}

// markerPIDs lists task processes whose environment has MARKER=marker
// (marker may be a prefix).
func markerPIDs(marker string) []int { return pidsWhere("environ", "MARKER="+marker) }

// supervisorsOf returns the distinct parents of pids: a raw_exec task's
// parent is its supervisor.
func supervisorsOf(pids []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, p := range pids {
		if pp := ppid(p); pp > 1 && !seen[pp] {
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
		if strings.Contains(cmdline(s), root) {
			_ = syscall.Kill(-s, syscall.SIGKILL)
			_ = syscall.Kill(s, syscall.SIGKILL)
		}
	}
	for _, p := range tasks {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for _, p := range pidsWhere("cmdline", root) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
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

// percentile returns the p-th percentile (0-100, nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
