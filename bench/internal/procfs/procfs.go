// Package procfs reads what the benchmark programs measure of processes
// and of the machine from Linux's /proc: CPU time, resident memory,
// parents, command lines, and processes by environment or command line.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// and of /proc/stat; it is 100 on every Linux architecture Go supports.
const ClockTicks = 100

// statFields returns the fields of /proc/PID/stat after the command name
// (which may hold spaces): field 3 of proc(5) is f[0].
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("read stat: %w", err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:]), nil
}

// CPUTicks returns utime+stime of pid.
func CPUTicks(pid int) (uint64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat for %d", pid)
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st, nil
}

// PPID returns the parent of pid, or 0.
func PPID(pid int) int {
	f, err := statFields(pid)
	if err != nil || len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// GroupCPU returns utime+stime, in clock ticks, of every process in
// process group pgid (a server's workers with their master).
func GroupCPU(pgid int) uint64 {
	var sum uint64
	for _, f := range groupStats(pgid) {
		u, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		sum += u + st
	}
	return sum
}

// GroupRSSKB returns the summed VmRSS, in KiB, of every process in
// process group pgid.
func GroupRSSKB(pgid int) int {
	var sum int
	for pid := range groupStats(pgid) {
		kb, _ := RSSKB(pid)
		sum += kb
	}
	return sum
}

// groupStats returns the stat fields of every process in process group
// pgid, by pid.
func groupStats(pgid int) map[int][]string {
	out := map[int][]string{}
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		f, err := statFields(pid)
		if err != nil || len(f) < 13 {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g != pgid {
			continue
		}
		out[pid] = f
	}
	return out
}

// IdleTicks returns the idle and iowait time of all CPUs, in clock
// ticks, from /proc/stat.
func IdleTicks() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	idle, _ := strconv.ParseUint(f[4], 10, 64)
	wait, _ := strconv.ParseUint(f[5], 10, 64)
	return idle + wait
}

// RSSKB returns VmRSS of pid in KiB.
func RSSKB(pid int) (int, error) { return StatusKB(pid, "status", "VmRSS") }

// StatusKB returns a "Name:   N kB" field of /proc/PID/file (status or
// smaps_rollup), in KiB.
func StatusKB(pid int, file, field string) (int, error) {
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

// PIDsWhere lists the processes, this one excepted, whose /proc file
// (environ or cmdline) contains needle.
func PIDsWhere(file, needle string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), file))
		if err == nil && bytes.Contains(b, []byte(needle)) {
			out = append(out, pid)
		}
	}
	return out
}

// Cmdline returns pid's command line, arguments separated by spaces.
func Cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}
