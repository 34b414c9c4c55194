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

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
const clockTicks = 100

// cpuTicks returns utime+stime of pid from /proc/PID/stat.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat for %d", pid)
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st, nil
}

// rssKB returns VmRSS of pid in KiB.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
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

// markerPIDs lists task processes whose environment has MARKER=nonce.
func markerPIDs(nonce string) []int { return pidsWhere("environ", "MARKER="+nonce) }

// killLeftovers kills the marked tasks and any process whose command line
// names root (a raw_exec supervisor's state lives under the run's root).
func killLeftovers(nonce, root string) {
	for _, p := range pidsWhere("cmdline", root) {
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

// percentile returns the p-th percentile (0-100, nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// row prints one line of a latency table: p50, p99, max and count.
func row(name string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("| %s | - | - | - | 0 |\n", name)
		return
	}
	fmt.Printf("| %s | %s | %s | %s | %d |\n", name, ms(percentile(ds, 50)), ms(percentile(ds, 99)), ms(percentile(ds, 100)), len(ds))
}
