package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestAllocStats runs a raw_exec task that holds 20 MB and keeps a core
// busy, reads its use with Nomad's own API client (through the server,
// which proxies to the node), and checks `wharf alloc status` shows it.
func TestAllocStats(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	marker := fmt.Sprintf("stats-%d", time.Now().UnixNano())
	job := rawJob(t, "stats", marker, `x=$(head -c 20000000 /dev/zero | tr '\0' a); echo ready; while :; do :; done`, "")
	if out, code := run(t, a.addr, "job", "run", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	t.Cleanup(func() { killMarked(marker) })
	waitFor(t, 10*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "stats")) == 1 })
	alloc := runningAllocs(t, c, "stats")[0]
	waitFor(t, 10*time.Second, "the task to hold its memory", func() bool {
		out, _ := run(t, a.addr, "alloc", "logs", alloc.ID[:8], "t")
		return strings.Contains(out, "ready")
	})

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	// The share of a core the task really gets, read from /proc around
	// the query: on a loaded machine a spinning task gets less than a
	// core, and the reported figure must follow what it got.
	ticks0, at0 := markerCPUTicks(marker), time.Now()
	time.Sleep(time.Second)
	before := time.Now().UnixNano()
	usage, err := nc.Allocations().Stats(&nomad.Allocation{ID: alloc.ID}, nil)
	if err != nil {
		t.Fatalf("nomad Allocations().Stats: %v", err)
	}
	truth := float64(markerCPUTicks(marker)-ticks0) / clockTicks / time.Since(at0).Seconds() * 100
	checkNomadUsage(t, usage, before, min(20, truth/3))

	out, code := run(t, a.addr, "alloc", "status", alloc.ID[:8])
	if code != 0 || strings.Contains(out, "unavailable") {
		t.Fatalf("alloc status: %d\n%s", code, out)
	}
	if !regexp.MustCompile(`Task Resources:\nCPU +Memory\n\d+/100 MHz +\d+\.\d MiB/300 MiB\n`).MatchString(out) {
		t.Errorf("alloc status shows no resource use:\n%s", out)
	}

	if out, code := run(t, a.addr, "job", "stop", "stats"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "no task process left", func() bool { return len(markerPIDs(marker)) == 0 })
}

// checkNomadUsage checks what Nomad's client decoded: the task holds
// about 20 MB and keeps a core busy (at least minPercent of one, and
// more than nothing).
func checkNomadUsage(t *testing.T, usage *nomad.AllocResourceUsage, before int64, minPercent float64) {
	t.Helper()
	tu := usage.Tasks["t"]
	if tu == nil || tu.ResourceUsage == nil || tu.ResourceUsage.MemoryStats == nil || tu.ResourceUsage.CpuStats == nil {
		t.Fatalf("no task usage: %+v", usage)
	}
	mem, cpu := tu.ResourceUsage.MemoryStats, tu.ResourceUsage.CpuStats
	t.Logf("memory %+v\ncpu %+v", mem, cpu)
	if mem.RSS < 16<<20 || mem.RSS > 512<<20 {
		t.Errorf("RSS = %d bytes, want about 20 MB", mem.RSS)
	}
	if cpu.Percent < max(minPercent, 0.5) || cpu.TotalTicks <= 0 {
		t.Errorf("CPU = %.1f%%, %.1f MHz: want a busy core (at least %.1f%%)", cpu.Percent, cpu.TotalTicks, max(minPercent, 0.5))
	}
	if tu.Timestamp < before || tu.Timestamp > time.Now().UnixNano() || usage.Timestamp != tu.Timestamp {
		t.Errorf("timestamps: task %d, alloc %d, asked at %d", tu.Timestamp, usage.Timestamp, before)
	}
	if sum := usage.ResourceUsage; sum == nil || sum.MemoryStats.RSS != mem.RSS {
		t.Errorf("allocation sum = %+v", sum)
	}
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times.
const clockTicks = 100

// markerCPUTicks sums the user and system time, in clock ticks, of the
// processes that carry marker in their environment.
func markerCPUTicks(marker string) int64 {
	var sum int64
	for _, pid := range markerPIDs(marker) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command name, which may hold spaces.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		for _, v := range f[11:13] { // utime, stime
			n, _ := strconv.ParseInt(v, 10, 64)
			sum += n
		}
	}
	return sum
}
