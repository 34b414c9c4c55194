// Command catalogbench measures wharf's service catalog from the outside:
// how fast a check's change becomes visible in the Consul-shaped health
// API and in DNS, what a dev agent costs with many 1-second tcp checks
// (CPU, and store writes in steady state), and how many DNS queries per
// second it answers for a service with 10 instances.
//
// It starts one `wharf agent -dev` on 127.0.0.1 (free ports, a private
// jail network for the pot driver, data under one temporary directory),
// talks to nothing else, and on return, failure, -timeout or an
// interrupt stops its jobs, stops the agent with SIGINT, kills whatever
// it started that is left, and removes the temporary directory.
//
// Being a command outside the module's internal tree, it must never be
// imported; it must never import any other wharf package except
// internal/api, internal/structs and bench/internal.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
)

// options are the command's flags.
type options struct {
	wharf      string
	flips      int
	checkFlips int
	allocs     int
	perAlloc   int
	cpu        int
	window     time.Duration
	dnsSeconds int
	peer       bool
	only       string
	timeout    time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.wharf, "wharf", "bin/wharf", "path of the wharf binary to measure")
	flag.IntVar(&o.flips, "flips", 200, "api: health flips written through PUT /v1/services/register")
	flag.IntVar(&o.checkFlips, "check-flips", 100, "check: flips of a real 1 s tcp check's listener")
	flag.IntVar(&o.allocs, "allocs", 100, "scale: allocations of the raw_exec job")
	flag.IntVar(&o.perAlloc, "per-alloc", 10, "scale: services (each with one 1 s tcp check) per allocation")
	flag.IntVar(&o.cpu, "cpu", 10, "scale: cpu (MHz) each allocation asks")
	flag.DurationVar(&o.window, "window", 60*time.Second, "scale: steady-state measurement window")
	flag.IntVar(&o.dnsSeconds, "dns-seconds", 10, "dns: dnsperf run length in seconds")
	flag.BoolVar(&o.peer, "peer", true, "dns: also run dnsperf against dnsmasq serving the same 10 A records")
	flag.StringVar(&o.only, "only", "api,check,scale,dns", "comma-separated parts: api, check, scale, dns")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "catalogbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	bin, err := benchrun.Wharf(o.wharf)
	if err != nil {
		return err
	}
	ctx, stop, root, err := benchrun.Start("catalogbench", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	e := &benchEnv{bin: bin, root: root, nonce: fmt.Sprintf("cat%d", time.Now().UnixNano())}
	defer e.cleanup()
	if err := e.startAgent(ctx); err != nil {
		return err
	}
	fmt.Printf("agent pid %d: http %s, consul %s, dns %s, node %s\n", e.agent.pid(), e.agent.http, e.agent.consul, e.agent.dns, e.agent.nodeID)

	parts := map[string]func(context.Context, *benchEnv, options) error{
		"api": benchAPIFlips, "check": benchCheckFlips, "scale": benchScale, "dns": benchDNS,
	}
	for _, name := range strings.Split(o.only, ",") {
		f, ok := parts[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown part %q (want api, check, scale or dns)", name)
		}
		if err := f(ctx, e, o); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return e.stopAgent()
}
