package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// procRoot is where /proc is mounted.
const procRoot = "/proc"

// Usage reads the task's resource use from its cgroup: memory from the
// memory controller (v1 memory.usage_in_bytes, memory.max_usage_in_bytes
// and memory.stat total_rss; v2 memory.current, memory.peak and
// memory.stat anon), CPU time from cpuacct (v1) or cpu.stat (v2). What the
// cgroup cannot tell is summed over its processes from /proc: the v1
// cgroups of this package join the cpu hierarchy but not cpuacct (which
// hosts such as Debian's mount apart from cpu), so v1 CPU time comes from
// /proc unless the cpu hierarchy carries cpuacct's files.
func (cg *Cgroup) Usage() (*Usage, error) {
	u := &Usage{Time: time.Now()}
	var memOK, cpuOK bool
	if cg.Mode == CgroupV2 {
		dir := cg.Dirs[V2Key]
		memOK, cpuOK = readV2Memory(dir, u), readV2CPU(dir, u)
	} else {
		memOK, cpuOK = readV1Memory(cg.Dirs["memory"], u), readV1CPU(cg.cpuacctDir(), u)
	}
	if memOK && cpuOK {
		return u, nil
	}
	pids, err := cg.Procs()
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: stats: %w", cg, err)
	}
	n := addProcUsage(procRoot, pids, u, !memOK, !cpuOK)
	if !memOK && !cpuOK && n == 0 {
		return nil, fmt.Errorf("cgroup %s: stats: %w", cg, ErrNoUsage)
	}
	u.addSource(fmt.Sprintf("/proc of %d processes", n))
	return u, nil
}

// GroupUsage sums the resource use of the processes of group pgid from
// /proc: their resident sets and CPU times (own and reaped children's).
// It is how a task without a cgroup is measured; processes that left the
// group (setsid) are not counted.
func GroupUsage(pgid int) (*Usage, error) {
	u := &Usage{Time: time.Now()}
	pids := groupPIDs(pgid)
	n := addProcUsage(procRoot, pids, u, true, true)
	if n == 0 {
		return nil, fmt.Errorf("process group %d: stats: %w", pgid, ErrNoUsage)
	}
	u.addSource(fmt.Sprintf("/proc of %d processes of group %d (no cgroup)", n, pgid))
	return u, nil
}

// cpuacctDir returns the v1 directory holding cpuacct.usage: the cpuacct
// hierarchy's when the cgroup has one, else the cpu one's when cpu and
// cpuacct are mounted together; "" when neither.
func (cg *Cgroup) cpuacctDir() string {
	for _, key := range []string{"cpuacct", "cpu"} {
		if d := cg.Dirs[key]; d != "" && fileExists(filepath.Join(d, "cpuacct.usage")) {
			return d
		}
	}
	return ""
}

// readV1Memory fills the memory fields from a v1 memory cgroup.
func readV1Memory(dir string, u *Usage) bool {
	if dir == "" {
		return false
	}
	usage, err := readUintFile(filepath.Join(dir, "memory.usage_in_bytes"))
	if err != nil {
		return false
	}
	u.MemoryUsage = usage
	u.addMeasured(MeasuredUsage)
	if peak, err := readUintFile(filepath.Join(dir, "memory.max_usage_in_bytes")); err == nil {
		u.MemoryMaxUsage = peak
		u.addMeasured(MeasuredMaxUsage)
	}
	if stat, err := os.ReadFile(filepath.Join(dir, "memory.stat")); err == nil {
		m := parseFlatKeyed(stat)
		rss, ok := m["total_rss"]
		if !ok {
			rss, ok = m["rss"]
		}
		if ok {
			u.MemoryRSS = rss
			u.addMeasured(MeasuredRSS)
		}
	}
	u.addSource("cgroup v1 memory")
	return true
}

// readV1CPU fills the CPU fields from a v1 cpuacct cgroup: the total in
// nanoseconds from cpuacct.usage, the split from cpuacct.stat (ticks).
func readV1CPU(dir string, u *Usage) bool {
	if dir == "" {
		return false
	}
	total, err := readUintFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return false
	}
	u.CPUTotalNanos = total
	u.addMeasured(MeasuredTotalTicks)
	if stat, err := os.ReadFile(filepath.Join(dir, "cpuacct.stat")); err == nil {
		m := parseFlatKeyed(stat)
		u.CPUUserNanos, u.CPUSystemNanos = ticksToNanos(m["user"]), ticksToNanos(m["system"])
		u.addMeasured(MeasuredUserMode, MeasuredSystemMode)
	}
	u.addSource("cgroup v1 cpuacct")
	return true
}

// readV2Memory fills the memory fields from a v2 cgroup with the memory
// controller enabled.
func readV2Memory(dir string, u *Usage) bool {
	usage, err := readUintFile(filepath.Join(dir, "memory.current"))
	if err != nil {
		return false
	}
	u.MemoryUsage = usage
	u.addMeasured(MeasuredUsage)
	if peak, err := readUintFile(filepath.Join(dir, "memory.peak")); err == nil {
		u.MemoryMaxUsage = peak
		u.addMeasured(MeasuredMaxUsage)
	}
	if stat, err := os.ReadFile(filepath.Join(dir, "memory.stat")); err == nil {
		if anon, ok := parseFlatKeyed(stat)["anon"]; ok {
			u.MemoryRSS = anon
			u.addMeasured(MeasuredRSS)
		}
	}
	u.addSource("cgroup v2 memory")
	return true
}

// readV2CPU fills the CPU fields from a v2 cgroup's cpu.stat (which
// every v2 cgroup has, with or without the cpu controller).
func readV2CPU(dir string, u *Usage) bool {
	data, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return false
	}
	m := parseFlatKeyed(data)
	total, ok := m["usage_usec"]
	if !ok {
		return false
	}
	u.CPUTotalNanos = total * 1000
	u.CPUUserNanos, u.CPUSystemNanos = m["user_usec"]*1000, m["system_usec"]*1000
	u.addMeasured(MeasuredTotalTicks, MeasuredUserMode, MeasuredSystemMode)
	u.addSource("cgroup v2 cpu.stat")
	return true
}

// addProcUsage adds the resident sets (mem) and CPU times (cpu) of pids
// read from /proc under root to u, and returns how many processes it
// could read (the others have exited).
func addProcUsage(root string, pids []int, u *Usage, mem, cpu bool) int {
	page := uint64(os.Getpagesize())
	n := 0
	for _, pid := range pids {
		data, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		pt, err := parseProcStat(data)
		if err != nil {
			continue
		}
		n++
		if mem {
			u.MemoryRSS += pt.rssPages * page
		}
		if cpu {
			u.CPUUserNanos += ticksToNanos(pt.user)
			u.CPUSystemNanos += ticksToNanos(pt.system)
			u.CPUTotalNanos += ticksToNanos(pt.user + pt.system)
		}
	}
	if mem {
		u.addMeasured(MeasuredRSS)
	}
	if cpu {
		u.addMeasured(MeasuredTotalTicks, MeasuredUserMode, MeasuredSystemMode)
	}
	return n
}

// groupPIDs lists the live processes of group pgid.
func groupPIDs(pgid int) []int {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, group, err := procGroup(pid); err == nil && group == pgid && state != 'Z' && state != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// readUintFile reads a cgroup file holding one number.
func readUintFile(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseUint(data)
}
