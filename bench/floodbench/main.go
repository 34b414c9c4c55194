//go:build linux

// Command floodbench measures what a flood of idle connections to the
// ingress costs the rest of a wharf agent: it starts `wharf agent -dev`
// (free loopback ports, jails off), measures the latency of the API
// (GET /v1/jobs over one keep-alive connection) alone, then opens -conns
// connections to the ingress entry point from several 127.0.0.x source
// addresses (past the ephemeral port range of one address), each sending
// one request and then staying idle, and measures the API again while
// they are held; then, on a second agent whose ingress cap is
// -cap, the same with -beyond connection attempts, most of them beyond
// the cap.
//
// It raises its own descriptor limit (soft and hard, when it may) so
// that it and the agent it starts can hold the connections, talks to
// nothing but 127.0.0.0/8, and kills the agents and removes its
// temporary directory on return, failure, -timeout or an interrupt.
//
// Being a command, it must never be imported.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
)

// options are the command's flags.
type options struct {
	wharf    string
	conns    int
	cap      int
	heldCap  int
	beyond   int
	requests int
	sources  int
	timeout  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.wharf, "wharf", "bin/wharf", "path of the wharf binary")
	flag.IntVar(&o.conns, "conns", 50000, "idle connections held by the ingress (default caps)")
	flag.IntVar(&o.heldCap, "held-cap", 0, "held: limits.max_conns_ingress of the first agent (0: its share of the descriptor budget)")
	flag.IntVar(&o.cap, "cap", 5000, "beyond: the second agent's limits.max_conns_ingress")
	flag.IntVar(&o.beyond, "beyond", 10000, "beyond: connection attempts to the second agent's ingress (0: skip)")
	flag.IntVar(&o.requests, "requests", 2000, "API requests per latency measurement")
	flag.IntVar(&o.sources, "sources", 8, "127.0.0.x source addresses the connections come from")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "floodbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	bin, err := benchrun.Wharf(o.wharf)
	if err != nil {
		return err
	}
	ctx, stop, root, err := benchrun.Start("floodbench", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	defer os.RemoveAll(root)
	limit, err := raiseLimit(2*(o.conns+o.beyond) + 100000)
	if err != nil {
		return err
	}
	fmt.Printf("floodbench: descriptor limit %d (this process and the agents it starts)\n", limit)
	if need := o.conns + 1000; limit < need {
		fmt.Printf("floodbench: %d connections need a limit of about %d: raise the hard limit (root with CAP_SYS_RESOURCE, or ulimit -Hn) first\n", o.conns, need)
	}
	if err := held(ctx, bin, root, o); err != nil {
		return err
	}
	if o.beyond > 0 {
		return beyondCap(ctx, bin, root, o)
	}
	return nil
}

// held measures the API with and without -conns idle connections held by
// an agent with default caps.
func held(ctx context.Context, bin, root string, o options) error {
	extra := ""
	if o.heldCap > 0 {
		extra = fmt.Sprintf("limits {\n  max_conns_ingress = %d\n}\n", o.heldCap)
	}
	a, err := startAgent(ctx, bin, root, "held", extra)
	if err != nil {
		return err
	}
	defer a.kill()
	fmt.Printf("\n== %d idle connections held by the ingress (%s) ==\n", o.conns, a.budget())
	fmt.Println("| phase | idle connections held | agent descriptors open | API p50 | API p99 | API max |\n|---|---|---|---|---|---|")
	base, err := apiLatency(ctx, a.api, o.requests)
	if err != nil {
		return err
	}
	fmt.Printf("| before | 0 | %d | %s |\n", a.fds(), base)
	f, err := flood(ctx, a.ingress, o.conns, o.sources, true)
	defer f.close()
	if err != nil {
		return err
	}
	under, err := apiLatency(ctx, a.api, o.requests)
	if err != nil {
		return err
	}
	fmt.Printf("| held (opened in %s) | %d | %d | %s |\n", f.took.Round(time.Millisecond), f.answered, a.fds(), under)
	return a.alive()
}

// beyondCap floods an agent whose ingress cap is -cap with -beyond
// connection attempts and measures the API meanwhile.
func beyondCap(ctx context.Context, bin, root string, o options) error {
	a, err := startAgent(ctx, bin, root, "beyond", fmt.Sprintf("limits {\n  max_conns_ingress = %d\n}\n", o.cap))
	if err != nil {
		return err
	}
	defer a.kill()
	fmt.Printf("\n== %d connection attempts to an ingress capped at %d (%s) ==\n", o.beyond, o.cap, a.budget())
	fmt.Println("| phase | connections established | answered by the ingress | agent descriptors open | API p50 | API p99 | API max |\n|---|---|---|---|---|---|---|")
	base, err := apiLatency(ctx, a.api, o.requests)
	if err != nil {
		return err
	}
	fmt.Printf("| before | 0 | 0 | %d | %s |\n", a.fds(), base)
	f, err := flood(ctx, a.ingress, o.beyond, o.sources, false)
	defer f.close()
	if err != nil {
		return err
	}
	under, err := apiLatency(ctx, a.api, o.requests)
	if err != nil {
		return err
	}
	fmt.Printf("| flooded | %d | %d | %d | %s |\n", len(f.conns), f.answered, a.fds(), under)
	return a.alive()
}
