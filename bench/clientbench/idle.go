package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// usage is what each of a set of processes used over a window.
type usage struct {
	rssKB  []int     // VmRSS of each process at the end of the window
	cpuPct []float64 // utime+stime of each over the window, as % of one core
}

// measure samples the CPU time of pids, waits d, and samples again with
// their resident memory.
func measure(ctx context.Context, pids []int, d time.Duration) (usage, error) {
	var u usage
	before, err := ticksOf(pids)
	if err != nil {
		return u, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return u, ctx.Err()
	case <-time.After(d):
	}
	after, err := ticksOf(pids)
	if err != nil {
		return u, err
	}
	window := time.Since(start).Seconds()
	for i, p := range pids {
		u.cpuPct = append(u.cpuPct, 100*float64(after[i]-before[i])/procfs.ClockTicks/window)
		kb, err := procfs.RSSKB(p)
		if err != nil {
			return u, err
		}
		u.rssKB = append(u.rssKB, kb)
	}
	return u, nil
}

func ticksOf(pids []int) ([]uint64, error) {
	out := make([]uint64, len(pids))
	for i, p := range pids {
		t, err := procfs.CPUTicks(p)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// benchIdle measures a fresh dev agent idle, then with o.tasks raw_exec
// tasks running.
func benchIdle(ctx context.Context, e *benchEnv, o options) error {
	a, err := e.startAgent("idle", "-dev", "-data-dir", "{dir}")
	if err != nil {
		return err
	}
	if err := a.waitReady(ctx, true, true); err != nil {
		return err
	}
	idle, err := measure(ctx, []int{a.pid()}, o.idle)
	if err != nil {
		return err
	}
	fmt.Printf("\n== idle dev agent, no jobs, %v window after ready ==\n", o.idle)
	fmt.Printf("agent VmRSS %.1f MB, CPU %.2f%% of one core\n", mb(idle.rssKB[0]), idle.cpuPct[0])

	c, err := a.client()
	if err != nil {
		return err
	}
	marker := e.marker("idle")
	file, err := writeJob(a.dir, "idle", marker, o.tasks, "/bin/sleep", "3600")
	if err != nil {
		return err
	}
	cli := exec.CommandContext(ctx, e.bin, "job", "run", "-detach", file)
	cli.Env = append(os.Environ(), "WHARF_ADDR="+a.addr)
	if out, err := cli.CombinedOutput(); err != nil {
		return fmt.Errorf("job run: %w\n%s", err, out)
	}
	if err := waitRunning(ctx, c, "idle", o.tasks); err != nil {
		return err
	}
	tasks := markerPIDs(marker)
	sups := supervisorsOf(tasks)
	if len(sups) != o.tasks {
		return fmt.Errorf("found %d supervisors for %d tasks (%d task processes)", len(sups), o.tasks, len(tasks))
	}
	busy, err := measure(ctx, append([]int{a.pid()}, sups...), o.idle)
	if err != nil {
		return err
	}
	supRSS := busy.rssKB[1:]
	var supCPU float64
	for _, p := range busy.cpuPct[1:] {
		supCPU += p
	}
	fmt.Printf("\n== dev agent with %d raw_exec tasks (/bin/sleep), %v window ==\n", o.tasks, o.idle)
	fmt.Printf("agent VmRSS %.1f MB, CPU %.2f%% of one core\n", mb(busy.rssKB[0]), busy.cpuPct[0])
	var anon, pss int
	for _, p := range sups {
		a, _ := procfs.StatusKB(p, "status", "RssAnon")
		q, _ := procfs.StatusKB(p, "smaps_rollup", "Pss")
		anon, pss = anon+a, pss+q
	}
	fmt.Printf("supervisors in all: RssAnon %.1f MB, Pss %.1f MB (the binary's text is shared)\n", mb(anon), mb(pss))
	fmt.Printf("%d supervisors: VmRSS each min %.1f / max %.1f MB, %.1f MB in all; CPU %.2f%% of one core in all\n",
		len(sups), mb(slices.Min(supRSS)), mb(slices.Max(supRSS)), mb(sumOf(supRSS)), supCPU)

	if _, err := c.Jobs().Deregister("idle", true); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if !waitGone(marker, 20*time.Second) {
		return fmt.Errorf("idle tasks still running 20s after stop -purge")
	}
	return nil
}

// waitRunning follows the job's allocations with blocking queries until
// n of them are running.
func waitRunning(ctx context.Context, c *api.Client, job string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var index uint64
	for {
		allocs, meta, err := c.Jobs().Allocations(job, false, &api.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second, Context: ctx})
		if err != nil {
			return fmt.Errorf("waiting for %d running: %w", n, err)
		}
		index = meta.LastIndex
		running := 0
		for _, al := range allocs {
			if al.ClientStatus == structs.AllocClientStatusRunning {
				running++
			}
		}
		if running >= n {
			return nil
		}
	}
}

func mb(kb int) float64 { return float64(kb) / 1024 }

func sumOf(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
