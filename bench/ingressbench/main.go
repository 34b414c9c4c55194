//go:build linux

// Command ingressbench measures wharf's ingress from the outside, each
// figure beside its peers in the same run:
//
//   - load: wrk (keep-alive, 2 threads, --latency) through the ingress
//     proxy, haproxy and nginx, each in its own process on its own
//     loopback port, routing Host bench.minipot round robin over the same
//     two backends (one nginx answering `return 200` on two ports);
//     interleaved at each connection count, -rounds times. The wharf side
//     is this program re-executed as `ingressbench proxy`, which serves
//     internal/ingress/proxy exactly as the agent does.
//   - flip: on a `wharf agent -dev` (free ports), one instance written
//     passing or critical through PUT /v1/services/register, timed until
//     a request through the agent's ingress (polled every 1 ms) reaches
//     it, or gets 503.
//   - mem: this program re-executed as `ingressbench mem`: the proxy
//     process's VmRSS with -routes services x 2 servers, and the time of
//     config.Build and Proxy.Update.
//
// It needs wrk, haproxy and nginx (Debian packages). Everything listens
// on 127.0.0.1 (the backends on the wildcard address of their ports, so
// that mem can reach them as 2,000 distinct 127.0.x.y servers), lives
// under one temporary directory, and is killed on return, failure,
// -timeout or an interrupt.
//
// Being a command, it must never be imported.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
)

// options are the command's flags.
type options struct {
	wharf      string
	only       string
	conns      string
	duration   time.Duration
	threads    int
	rounds     int
	workers    int
	bworkers   int
	profile    bool
	flips      int
	routes     int
	idleConns  int
	timeout    time.Duration
	goBackends bool
	wharfEnv   string
	bare       bool
	fast       bool
	baseline   string
	baseLoops  int
	peers      string
	tls        bool
	close      bool
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "proxy":
			exitOn(proxyMain(os.Args[2:]))
			return
		case "mem":
			exitOn(memMain(os.Args[2:]))
			return
		case "bare":
			exitOn(bareMain(os.Args[2:]))
			return
		case "backend":
			exitOn(backendMain(os.Args[2:]))
			return
		}
	}
	var o options
	flag.StringVar(&o.wharf, "wharf", "bin/wharf", "flip: path of the wharf binary")
	flag.StringVar(&o.only, "only", "load,flip,mem", "comma-separated parts: load, flip, mem, idle")
	flag.StringVar(&o.conns, "conns", "16,256", "load: wrk connection counts")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "load: each wrk run's duration")
	flag.IntVar(&o.threads, "t", 2, "load: wrk threads")
	flag.IntVar(&o.rounds, "rounds", 2, "load: interleaved rounds")
	flag.IntVar(&o.workers, "workers", 2, "load: haproxy threads, nginx workers and the wharf proxy's GOMAXPROCS")
	flag.IntVar(&o.bworkers, "backend-workers", 1, "load: worker processes of the backend nginx")
	flag.BoolVar(&o.goBackends, "go-backends", false, "load: tiny Go HTTP servers as backends instead of nginx")
	flag.StringVar(&o.wharfEnv, "wharf-env", "", "load: comma-separated VAR=value added to the wharf proxy's environment (e.g. GOGC=400)")
	flag.BoolVar(&o.bare, "bare", true, "load: also measure a bare httputil.ReverseProxy with net/http's Transport and with directTransport (what Go's net/http costs)")
	flag.BoolVar(&o.fast, "fast", false, "load: also measure wharf with the HTTP/1.1 fast path (ServerOptions.FastHTTP1), as \"wharf fast\", and served from its event loops (ServerOptions.EventLoop, as the agent does), as \"wharf loops\"; -profile then profiles the latter")
	flag.StringVar(&o.baseline, "baseline", "", "load, idle: path of another build of this program whose proxy is measured too, as \"baseline 1 loop\" (A/B of a change)")
	flag.IntVar(&o.baseLoops, "baseline-loops", 1, "load, idle: the baseline's event loops; 0 serves it from goroutines (\"baseline fast\", against \"wharf fast\")")
	flag.StringVar(&o.peers, "peers", "", "load: comma-separated proxies to measure (by their names in the table; haproxy always runs), default all")
	flag.BoolVar(&o.tls, "tls", false, "load: every proxy terminates TLS (a self-signed ECDSA P-256 certificate made for the run; wrk speaks HTTP/1.1 over https); the event-loop peers are left out, TLS being served from goroutines")
	flag.BoolVar(&o.close, "close", false, "load: a new connection for every request (wrk sends Connection: close): accepts, and with -tls handshakes, instead of keep-alive")
	flag.BoolVar(&o.profile, "profile", false, "load: then a 10 s CPU profile of the wharf proxy under the last connection count")
	flag.IntVar(&o.flips, "flips", 200, "flip: flips (half to passing, half to critical)")
	flag.IntVar(&o.idleConns, "idle-conns", 8000, "idle: keep-alive client connections held open")
	flag.IntVar(&o.routes, "routes", 1000, "mem: services (2 servers each)")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "bound on the whole run")
	flag.Parse()
	exitOn(run(o))
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingressbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, stop, root, err := benchrun.Start("ingressbench", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	e := &env{root: root, nonce: fmt.Sprintf("ingb%d", time.Now().UnixNano())}
	defer e.cleanup()
	if e.self, err = os.Executable(); err != nil {
		return fmt.Errorf("own executable: %w", err)
	}
	if e.backends, err = e.startBackends(ctx, o); err != nil {
		return err
	}
	parts := map[string]func(context.Context, *env, options) error{"load": benchLoad, "flip": benchFlip, "mem": benchMem, "idle": benchIdle}
	for _, name := range strings.Split(o.only, ",") {
		f, ok := parts[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown part %q (want load, flip, mem or idle)", name)
		}
		if err := f(ctx, e, o); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// path is a file under the run's temporary root.
func (e *env) path(name string) string { return filepath.Join(e.root, name) }
