package supervise

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Names of what a Usage measured, as Nomad's MemoryStats and CpuStats
// name them in their Measured lists.
const (
	MeasuredRSS        = "RSS"
	MeasuredUsage      = "Usage"
	MeasuredMaxUsage   = "Max Usage"
	MeasuredSystemMode = "System Mode"
	MeasuredUserMode   = "User Mode"
	MeasuredTotalTicks = "Total Ticks"
)

// userHZ is the unit of the kernel's user-visible tick counts
// (/proc/<pid>/stat, cpuacct.stat): USER_HZ, 100 on every Linux ABI.
const userHZ = 100

// ErrNoUsage is returned when nothing of a task's resource use could be
// read (no controller file and no process left to read /proc of).
var ErrNoUsage = errors.New("no resource use readable")

// Usage is a task's resource use at one time, read from its cgroup or,
// without one, summed over its processes in /proc.
type Usage struct {
	// Time is when it was read.
	Time time.Time
	// MemoryRSS is anonymous resident memory (v1 total_rss, v2 anon, or
	// the sum of the processes' resident sets); MemoryUsage the cgroup's
	// whole charge (page cache included); MemoryMaxUsage its peak (0
	// when the kernel does not keep one).
	MemoryRSS      uint64
	MemoryUsage    uint64
	MemoryMaxUsage uint64
	// CPU time in nanoseconds since the task started: total (user plus
	// system), and the split when known.
	CPUTotalNanos  uint64
	CPUUserNanos   uint64
	CPUSystemNanos uint64
	// Measured lists what was read: the Measured* names. A process-based
	// reading (no cgroup, or no memory controller) measures RSS but not
	// Usage or Max Usage.
	Measured []string
	// Source says in words where the numbers come from, e.g. "cgroup v1
	// memory, /proc of 3 processes".
	Source string
}

// addMeasured appends names not yet listed.
func (u *Usage) addMeasured(names ...string) {
	for _, n := range names {
		if !u.measured(n) {
			u.Measured = append(u.Measured, n)
		}
	}
}

// measured reports whether name is listed.
func (u *Usage) measured(name string) bool {
	for _, m := range u.Measured {
		if m == name {
			return true
		}
	}
	return false
}

// addSource appends one part to Source.
func (u *Usage) addSource(s string) {
	if u.Source != "" {
		u.Source += ", "
	}
	u.Source += s
}

// parseFlatKeyed reads a cgroup "key value" file (memory.stat, cpu.stat,
// cpuacct.stat) into a map; lines that do not parse are skipped.
func parseFlatKeyed(data []byte) map[string]uint64 {
	out := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// parseUint reads a cgroup file holding one number.
func parseUint(data []byte) (uint64, error) {
	return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
}

// procTimes is what /proc/<pid>/stat says of one process.
type procTimes struct {
	user, system uint64 // clock ticks, the process's own and its reaped children's
	rssPages     uint64
}

// parseProcStat reads utime, stime, cutime, cstime (fields 14-17) and
// rss (field 24, pages) of a /proc/<pid>/stat line. cutime and cstime
// count the children the process has waited for, so the CPU time of a
// task's finished commands is not lost.
func parseProcStat(data []byte) (procTimes, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procTimes{}, errors.New("parse stat: no command name")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 22 {
		return procTimes{}, errors.New("parse stat: too few fields")
	}
	var n [5]uint64
	for j, idx := range []int{11, 12, 13, 14, 21} {
		v, err := strconv.ParseUint(f[idx], 10, 64)
		if err != nil {
			return procTimes{}, errors.New("parse stat: " + err.Error())
		}
		n[j] = v
	}
	return procTimes{user: n[0] + n[2], system: n[1] + n[3], rssPages: n[4]}, nil
}

// ticksToNanos converts USER_HZ ticks to nanoseconds.
func ticksToNanos(ticks uint64) uint64 {
	return ticks * uint64(time.Second/userHZ)
}
