//go:build linux

// Command c1m runs a cluster in the shape of Nomad's C1M challenge on one
// machine: three `wharf agent` servers on 127.0.0.1 (their own ports and
// data dirs, one embedded etcd cluster, ACLs off), -clients simulated
// client nodes (internal/testkit/fakenode) heartbeating against all three, and
// -allocs allocations placed by -parallel job submitters (service jobs of
// -count instances with tiny resource asks). It prints placements per
// second (the servers' wharf_scheduler_placements_total over time), each
// server's VmRSS, the etcd members' db size, the servers' CPU per 1,000
// heartbeats over a quiet window, and the same after the jobs are
// stopped, their allocations reported complete and PUT /v1/system/gc has
// run. The driver's own CPU is reported beside the servers'.
//
// Simulated nodes report their allocations running in batches: one
// UpdateAllocs per node per job listing, from a small worker pool, not
// one blocking query per node.
//
// Every phase is bounded and the whole run ends by -timeout; on return,
// failure or Ctrl-C the servers' process groups are killed and the
// temporary directory (data dirs included) is removed.
//
// Being a command, it must never be imported.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// options are the command's flags.
type options struct {
	wharf     string
	clients   int
	allocs    int
	count     int
	parallel  int
	report    bool
	workers   int
	quiet     time.Duration
	placeCap  time.Duration
	timeout   time.Duration
	cpuSample time.Duration
	perf      time.Duration
	quota     string
	memLimit  string
}

func main() {
	var o options
	flag.StringVar(&o.wharf, "wharf", "bin/wharf", "path of the wharf binary")
	flag.IntVar(&o.clients, "clients", 5000, "simulated client nodes")
	flag.IntVar(&o.allocs, "allocs", 1_000_000, "allocations to place in all")
	flag.IntVar(&o.count, "count", 10_000, "instances per job (jobs = allocs / count; at most limits.job_max_count)")
	flag.IntVar(&o.parallel, "parallel", 8, "jobs submitted at once")
	flag.BoolVar(&o.report, "report", true, "simulated nodes report their allocations running (and complete once stopped)")
	flag.IntVar(&o.workers, "workers", 16, "concurrent node registrations and allocation reports")
	flag.DurationVar(&o.quiet, "quiet", 30*time.Second, "quiet window (heartbeats only) for the heartbeat CPU")
	flag.DurationVar(&o.placeCap, "duration", 10*time.Minute, "cap on the placement phase")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "bound on the whole run")
	flag.DurationVar(&o.cpuSample, "sample", 5*time.Second, "interval of the placement rate samples")
	flag.DurationVar(&o.perf, "perf", 0, "profile the leader with perf record for this long while placing (0: not)")
	flag.StringVar(&o.quota, "etcd-quota", "8GiB", "each server's etcd { quota_backend_bytes } (etcd's default is 2GiB)")
	flag.StringVar(&o.memLimit, "memlimit", "", "each server's GOMEMLIMIT, e.g. 4GiB (empty: none)")
	flag.Parse()
	if o.clients < 1 || o.allocs < 1 || o.count < 1 || o.parallel < 1 || o.workers < 1 {
		fmt.Fprintln(os.Stderr, "c1m: -clients, -allocs, -count, -parallel and -workers must be positive")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "c1m:", err)
		os.Exit(1)
	}
}
