package supervise

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// holdEnv makes the test binary a task that holds a known amount of
// memory: it allocates and touches that many MiB, burns holdCPU of CPU
// time, prints "ready" and waits for its stdin to close.
const holdEnv = "WHARF_TEST_STATS_HOLD_MB"

// holdCPU is the CPU time a holding task burns before it is ready.
const holdCPU = 200 * time.Millisecond

func init() {
	if mb, err := strconv.Atoi(os.Getenv(holdEnv)); err == nil {
		holdMemory(mb)
	}
}

// holdMemory is the holding task (it never returns).
func holdMemory(mb int) {
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	for cpuTime() < holdCPU {
		b[0]++
	}
	os.Stdout.WriteString("ready\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Stdout.WriteString(strconv.Itoa(int(b[len(b)-1])) + "\n")
	os.Exit(0)
}

// cpuTime returns this process's user plus system time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startHolder starts a holding task of mb MiB in cg (nil: in a process
// group of its own) and waits until it is ready.
func startHolder(t *testing.T, cg *Cgroup, mb int) *exec.Cmd {
	t.Helper()
	var stdin io.WriteCloser
	var stdout io.Reader
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(testExe(t), "-test.run=^$")
		cmd.Env = append(os.Environ(), holdEnv+"="+strconv.Itoa(mb))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdin, _ = cmd.StdinPipe()
		stdout, _ = cmd.StdoutPipe()
		return cmd
	}
	cmd, err := startInCgroup(newCmd, cg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder: %q, %v", line, err)
	}
	return cmd
}

// TestUsageOfRealTask measures a task holding 64 MiB and 200 ms of CPU
// time in each containment this host offers.
func TestUsageOfRealTask(t *testing.T) {
	requireRoot(t)
	const mb = 64
	for name, c := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			cg := c.For(randomID(t), Limits{MemoryMB: 256})
			if cg != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := cg.create(ctx); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cg.Kill(ctx); _ = cg.Remove(ctx) })
			}
			cmd := startHolder(t, cg, mb)
			var u *Usage
			var err error
			if cg == nil {
				u, err = GroupUsage(cmd.Process.Pid)
			} else {
				u, err = cg.Usage()
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %+v", name, u)
			checkHolderUsage(t, u, mb, cg != nil && cg.Dirs["memory"] != "")
		})
	}
}

// checkHolderUsage checks what was read of a holder of mb MiB.
func checkHolderUsage(t *testing.T, u *Usage, mb uint64, memCgroup bool) {
	t.Helper()
	if u.MemoryRSS < mb<<20 || u.MemoryRSS > (mb+64)<<20 {
		t.Errorf("RSS = %d MiB, want about %d MiB", u.MemoryRSS>>20, mb)
	}
	// /proc counts whole ticks of 10 ms, rounded down.
	if floor := holdCPU - 2*time.Second/userHZ; u.CPUTotalNanos < uint64(floor) || u.CPUTotalNanos > uint64(30*time.Second) {
		t.Errorf("CPU time = %v, want at least %v", time.Duration(u.CPUTotalNanos), floor)
	}
	if u.CPUUserNanos+u.CPUSystemNanos == 0 {
		t.Error("no user/system split")
	}
	want := []string{MeasuredRSS, MeasuredTotalTicks, MeasuredUserMode, MeasuredSystemMode}
	if memCgroup {
		want = append(want, MeasuredUsage, MeasuredMaxUsage)
		if u.MemoryUsage < u.MemoryRSS || u.MemoryMaxUsage < u.MemoryUsage {
			t.Errorf("usage %d, max usage %d, RSS %d: want RSS <= usage <= max", u.MemoryUsage, u.MemoryMaxUsage, u.MemoryRSS)
		}
	} else if slices.Contains(u.Measured, MeasuredUsage) {
		t.Errorf("Measured = %q: Usage without a memory controller", u.Measured)
	}
	for _, m := range want {
		if !slices.Contains(u.Measured, m) {
			t.Errorf("Measured = %q, want %q in it", u.Measured, m)
		}
	}
}

// writeControls writes cgroup control files into dir.
func writeControls(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsageFromControlFiles reads fake v1 and v2 cgroup directories.
func TestUsageFromControlFiles(t *testing.T) {
	v1mem, v1acct, v2, cpuOnly := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	writeControls(t, v1mem, map[string]string{"memory.usage_in_bytes": "3000\n",
		"memory.max_usage_in_bytes": "5000\n", "memory.stat": "cache 100\nrss 1000\ntotal_rss 2000\n"})
	writeControls(t, v1acct, map[string]string{"cpuacct.usage": "900000000\n", "cpuacct.stat": "user 60\nsystem 30\n"})
	writeControls(t, v2, map[string]string{"memory.current": "7000\n", "memory.peak": "9000\n",
		"memory.stat": "anon 4000\nfile 3000\n", "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"})
	writeControls(t, cpuOnly, map[string]string{"cpu.stat": "usage_usec 10\nuser_usec 6\nsystem_usec 4\n"})
	tests := []struct {
		name string
		cg   *Cgroup
		want Usage
	}{
		{name: "v1 memory and cpuacct", cg: &Cgroup{Mode: CgroupV1, Dirs: map[string]string{"memory": v1mem, "cpuacct": v1acct}},
			want: Usage{MemoryRSS: 2000, MemoryUsage: 3000, MemoryMaxUsage: 5000,
				CPUTotalNanos: 900_000_000, CPUUserNanos: 600_000_000, CPUSystemNanos: 300_000_000}},
		{name: "v1 cpu and cpuacct mounted together", cg: &Cgroup{Mode: CgroupV1, Dirs: map[string]string{"memory": v1mem, "cpu": v1acct}},
			want: Usage{MemoryRSS: 2000, MemoryUsage: 3000, MemoryMaxUsage: 5000,
				CPUTotalNanos: 900_000_000, CPUUserNanos: 600_000_000, CPUSystemNanos: 300_000_000}},
		{name: "v2", cg: &Cgroup{Mode: CgroupV2, Dirs: map[string]string{V2Key: v2}},
			want: Usage{MemoryRSS: 4000, MemoryUsage: 7000, MemoryMaxUsage: 9000,
				CPUTotalNanos: 1_500_000, CPUUserNanos: 1_000_000, CPUSystemNanos: 500_000}},
		{name: "v2 without memory controller, no processes", cg: &Cgroup{Mode: CgroupV2, Dirs: map[string]string{V2Key: cpuOnly}},
			want: Usage{CPUTotalNanos: 10_000, CPUUserNanos: 6_000, CPUSystemNanos: 4_000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.cg.Usage()
			if err != nil {
				t.Fatal(err)
			}
			got := *u
			got.Time, got.Measured, got.Source = time.Time{}, nil, ""
			if !equalUsage(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func equalUsage(a, b Usage) bool {
	return a.MemoryRSS == b.MemoryRSS && a.MemoryUsage == b.MemoryUsage && a.MemoryMaxUsage == b.MemoryMaxUsage &&
		a.CPUTotalNanos == b.CPUTotalNanos && a.CPUUserNanos == b.CPUUserNanos && a.CPUSystemNanos == b.CPUSystemNanos
}

// TestUsageNothingReadable: a cgroup with no files and no process.
func TestUsageNothingReadable(t *testing.T) {
	cg := &Cgroup{Mode: CgroupV1, Dirs: map[string]string{"pids": t.TempDir()}}
	if _, err := cg.Usage(); err == nil {
		t.Fatal("no error")
	}
	if _, err := GroupUsage(1 << 30); err == nil {
		t.Fatal("no error for a group with no process")
	}
}

// BenchmarkUsage measures one reading of a task's use, per containment
// (the stats endpoint reads each task twice per request).
func BenchmarkUsage(b *testing.B) {
	b.Run("process-group", func(b *testing.B) {
		pgid := syscall.Getpgrp()
		for b.Loop() {
			if _, err := GroupUsage(pgid); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := DetectCgroups()
	if c.Mode == CgroupNone {
		b.Logf("cgroup case skipped: %s", c.Describe())
		return
	}
	b.Run("cgroup-"+c.Mode, func(b *testing.B) {
		cg := c.For("bench-"+strconv.Itoa(os.Getpid())+"/web", Limits{})
		ctx := context.Background()
		if err := cg.create(ctx); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = cg.Kill(ctx); _ = cg.Remove(ctx) }()
		cmd, err := startInCgroup(func() *exec.Cmd { return exec.Command("sleep", "1000") }, cg)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		for b.Loop() {
			if _, err := cg.Usage(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
