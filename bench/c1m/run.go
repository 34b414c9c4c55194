//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/procfs"
	"github.com/wharf-project/wharf/internal/structs"
)

func run(o options) error {
	bin, err := benchrun.Wharf(o.wharf)
	if err != nil {
		return err
	}
	ctx, stop, root, err := benchrun.Start("c1m", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	defer os.RemoveAll(root)
	began := time.Now()
	servers, err := startServers(ctx, bin, root, o.quota, o.memLimit)
	defer func() {
		for _, s := range servers {
			s.kill()
		}
	}()
	if err != nil {
		return err
	}
	counts := jobCounts(o.allocs, o.count)
	fmt.Printf("c1m: 3 servers up in %s (leader %s); %d simulated clients, %d allocations in %d jobs of up to %d, %d submitted at once; etcd quota %s, GOMEMLIMIT %q\n",
		time.Since(began).Round(time.Millisecond), leader(servers).name, o.clients, o.allocs, len(counts), o.count, o.parallel, o.quota, o.memLimit)

	c0, b0 := serverTicks(servers), time.Now()
	settle(ctx, min(o.quiet, 10*time.Second))
	idleCores = sumTicks(c0, serverTicks(servers)) / procfs.ClockTicks / time.Since(b0).Seconds()
	fmt.Printf("c1m: servers idle without clients: %.3f cores\n", idleCores)

	t0 := time.Now()
	f, err := startFleet(ctx, servers, o.clients, o.workers)
	if err != nil {
		return fmt.Errorf("register the simulated clients: %w", err)
	}
	defer f.stop()
	fmt.Printf("c1m: %d clients registered in %s\n", o.clients, time.Since(t0).Round(time.Millisecond))

	// Let the TTLs settle to the fleet's size before the quiet window.
	settle(ctx, 10*time.Second)
	fmt.Println("\n== before placement ==")
	if err := state(ctx, servers, f, o.quiet); err != nil {
		return err
	}

	fmt.Printf("\n== placing %d allocations ==\n", o.allocs)
	cpu0, self0 := serverTicks(servers), selfTicks()
	pctx, pcancel := context.WithTimeout(ctx, o.placeCap)
	defer pcancel()
	submitted := make(chan error, 1)
	var ids []string
	go func() {
		var err error
		ids, err = submit(pctx, servers, counts, o.parallel)
		submitted <- err
	}()
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		if l := leader(servers); o.perf > 0 && l != nil {
			profile(ctx, l, root, min(o.perf, o.placeCap))
		}
	}()
	samples := watchPlacements(pctx, servers, o.allocs, o.cpuSample, 60*time.Second)
	pcancel()
	if err := <-submitted; err != nil && ctx.Err() == nil {
		fmt.Printf("c1m: submitting stopped: %v\n", err)
	}
	cpu1, self1 := serverTicks(servers), selfTicks()
	<-profiled
	last := samples[len(samples)-1]
	took := lastMove(samples).Sub(samples[0].at)
	fmt.Printf("\nplaced %.0f of %d in %s: %.0f placements/s on average, %.0f/s in the best %s\n",
		last.placed, o.allocs, took.Round(time.Millisecond), last.placed/took.Seconds(), peak(samples), o.cpuSample)
	fmt.Printf("wharf_scheduler_placements_total summed over the servers: %.0f\n", counterSum(servers, "wharf_scheduler_placements_total"))
	elapsed := last.at.Sub(samples[0].at).Seconds()
	fmt.Printf("CPU while placing (%.0f s): %s; the driver %.2f cores\n", elapsed, cpuSplit(servers, cpu0, cpu1, elapsed), float64(self1-self0)/procfs.ClockTicks/elapsed)
	if err := alive(servers); err != nil {
		return err
	}

	if o.report {
		t := time.Now()
		allocs, err := jobAllocs(ctx, servers, ids)
		if err != nil {
			return fmt.Errorf("list the allocations: %w", err)
		}
		listed := time.Since(t)
		reqs, n, err := f.report(ctx, allocs, structs.AllocClientStatusRunning, o.workers)
		if err != nil {
			fmt.Printf("c1m: %v\n", err)
		}
		fmt.Printf("reported %d allocations running in %d requests in %s (listing %d allocations took %s)\n",
			n, reqs, time.Since(t).Round(time.Millisecond), len(allocs), listed.Round(time.Millisecond))
	}
	// A plan's placements are counted once the whole plan is applied,
	// after the last of its transactions moved the job summaries.
	fmt.Printf("wharf_scheduler_placements_total summed over the servers, once every plan returned: %.0f\n",
		counterSum(servers, "wharf_scheduler_placements_total"))
	fmt.Println("\n== after placement ==")
	if err := state(ctx, servers, f, o.quiet); err != nil {
		return err
	}

	fmt.Println("\n== stop the jobs, report them complete, PUT /v1/system/gc ==")
	t := time.Now()
	if err := stopJobs(ctx, servers, ids, o.parallel); err != nil {
		return err
	}
	stopped, err := waitStopped(ctx, servers, ids, 5*time.Minute)
	if err != nil {
		return err
	}
	fmt.Printf("jobs stopped, %d allocations stopped by the servers in %s\n", len(stopped), time.Since(t).Round(time.Millisecond))
	if o.report {
		t = time.Now()
		reqs, n, err := f.report(ctx, stopped, structs.AllocClientStatusComplete, o.workers)
		if err != nil {
			fmt.Printf("c1m: %v\n", err)
		}
		fmt.Printf("reported %d allocations complete in %d requests in %s\n", n, reqs, time.Since(t).Round(time.Millisecond))
	}
	settled(ctx, servers, ids, 2*time.Minute)
	t = time.Now()
	var answer string
	for {
		l := leader(servers)
		if l != nil {
			if answer, err = put(l.addr + "/v1/system/gc"); err == nil {
				break
			}
		}
		if ctx.Err() != nil || time.Since(t) > 2*time.Minute {
			return fmt.Errorf("system gc: %v", err)
		}
		time.Sleep(time.Second)
	}
	fmt.Printf("PUT /v1/system/gc took %s: %s\n", time.Since(t).Round(time.Millisecond), strings.TrimSpace(answer))
	fmt.Println("\n== after GC ==")
	if err := state(ctx, servers, f, o.quiet); err != nil {
		return err
	}
	fmt.Printf("\nc1m: whole run %s\n", time.Since(began).Round(time.Second))
	return alive(servers)
}

// settle waits d or until ctx ends.
func settle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// state prints each server's RSS and etcd db size, then the servers' CPU
// over a quiet window of only heartbeats.
func state(ctx context.Context, servers []*server, f *fleet, quiet time.Duration) error {
	sizes, err := dbSizes(servers[0])
	if err != nil {
		fmt.Printf("c1m: etcd sizes: %v\n", err)
	}
	for _, s := range servers {
		fmt.Printf("%s: VmRSS %.0f MiB, etcd db %.1f MiB\n", s.name, s.rssMB(), float64(sizes[s.name])/(1<<20))
	}
	if line, err := census(servers[0]); err == nil {
		fmt.Println(line)
	}
	hb0, cpu0, self0, t0 := f.count.heartbeats.Load(), serverTicks(servers), selfTicks(), time.Now()
	settle(ctx, quiet)
	hb1, cpu1, self1, el := f.count.heartbeats.Load(), serverTicks(servers), selfTicks(), time.Since(t0).Seconds()
	hb := float64(hb1 - hb0)
	used := sumTicks(cpu0, cpu1) / procfs.ClockTicks
	per := "no heartbeats"
	if hb > 0 {
		per = fmt.Sprintf("%.0f ms of server CPU per 1,000 heartbeats (%.0f ms beyond the servers' idle %.3f cores)",
			used/hb*1e6, (used-idleCores*el)/hb*1e6, idleCores)
	}
	fmt.Printf("quiet %.0f s: %.0f heartbeats (%.1f/s); servers %s; %s; the driver %.1f%% of a core\n", el, hb, hb/el,
		cpuSplit(servers, cpu0, cpu1, el), per, float64(self1-self0)/procfs.ClockTicks/el*100)
	after, _ := dbSizes(servers[0])
	for _, s := range servers {
		fmt.Printf("%s: VmRSS %.0f MiB, Go heap in use %.0f MiB, etcd db %.1f MiB after the window\n",
			s.name, s.rssMB(), heapInUse(s), float64(after[s.name])/(1<<20))
	}
	return alive(servers)
}

// idleCores is the servers' CPU, in cores, before any client registered.
var idleCores float64

func sumTicks(a, b []uint64) float64 {
	var sum uint64
	for i := range a {
		sum += b[i] - a[i]
	}
	return float64(sum)
}

func serverTicks(servers []*server) []uint64 {
	out := make([]uint64, len(servers))
	for i, s := range servers {
		out[i] = s.cpuTicks()
	}
	return out
}

func selfTicks() uint64 {
	t, _ := procfs.CPUTicks(os.Getpid())
	return t
}

// cpuSplit formats each server's CPU over seconds as cores used.
func cpuSplit(servers []*server, a, b []uint64, seconds float64) string {
	var parts []string
	var sum float64
	for i, s := range servers {
		c := float64(b[i]-a[i]) / procfs.ClockTicks / seconds
		sum += c
		parts = append(parts, fmt.Sprintf("%s %.2f", s.name, c))
	}
	return fmt.Sprintf("%.2f cores (%s)", sum, strings.Join(parts, ", "))
}

func alive(servers []*server) error {
	for _, s := range servers {
		if err := s.alive(); err != nil {
			return err
		}
	}
	return nil
}

// lastMove is the time of the last sample that counted new placements.
func lastMove(samples []sample) time.Time {
	at := samples[len(samples)-1].at
	for i := len(samples) - 1; i > 0 && samples[i].placed == samples[i-1].placed; i-- {
		at = samples[i-1].at
	}
	if !at.After(samples[0].at) {
		return samples[0].at.Add(time.Millisecond)
	}
	return at
}

// peak is the best placement rate between two samples.
func peak(samples []sample) float64 {
	var best float64
	for i := 1; i < len(samples); i++ {
		best = max(best, (samples[i].placed-samples[i-1].placed)/samples[i].at.Sub(samples[i-1].at).Seconds())
	}
	return best
}

// waitStopped waits until every allocation of the jobs is stopped by the
// servers and returns them.
func waitStopped(ctx context.Context, servers []*server, ids []string, bound time.Duration) ([]*structs.AllocListStub, error) {
	deadline := time.Now().Add(bound)
	for {
		allocs, err := jobAllocs(ctx, servers, ids)
		if err != nil {
			return nil, err
		}
		running := 0
		for _, a := range allocs {
			if a.DesiredStatus == structs.AllocDesiredStatusRun {
				running++
			}
		}
		if running == 0 {
			return allocs, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("%d of %d allocations still meant to run after stopping their jobs", running, len(allocs))
		}
		settle(ctx, 2*time.Second)
	}
}

// census counts the nodes by status, the c1m jobs by status and their
// allocations by client status, as one server holds them.
func census(s *server) (string, error) {
	var nodes []*structs.NodeListStub
	if err := getJSON(s.addr+"/v1/nodes", &nodes); err != nil {
		return "", err
	}
	var jobs []*structs.JobListStub
	if err := getJSON(s.addr+"/v1/jobs?prefix=c1m-", &jobs); err != nil {
		return "", err
	}
	ns, js, as := map[string]int{}, map[string]int{}, map[string]int{}
	for _, n := range nodes {
		ns[n.Status]++
	}
	for _, j := range jobs {
		js[j.Status]++
		if j.JobSummary == nil {
			continue
		}
		for _, g := range j.JobSummary.Summary {
			as["queued"] += g.Queued
			as["starting"] += g.Starting
			as["running"] += g.Running
			as["complete"] += g.Complete
			as["failed"] += g.Failed
			as["lost"] += g.Lost
		}
	}
	return fmt.Sprintf("%s holds: nodes %v; c1m jobs %v; their allocations %v", s.name, ns, js, as), nil
}
