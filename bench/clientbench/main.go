// Command clientbench measures wharf's client role end to end: how long a
// raw_exec job takes from `wharf job run -detach` to its task running, what
// an idle dev agent costs in memory and CPU, and how long a job takes to run
// again elsewhere after its client is killed.
//
// It starts its own agents on 127.0.0.1 with fresh temporary data
// directories, talks to nothing else, and removes every process and
// directory it created when it returns, on failure or on an interrupt. The
// whole run is bounded by -timeout.
//
// Being a command outside the module's internal tree, it must never be
// imported; it must never import any other wharf package except
// internal/api, internal/structs, internal/netjail (to remove the jail
// networks its agents leave) and bench/internal.
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
	wharf    string
	runs     int
	idle     time.Duration
	tasks    int
	lossRuns int
	only     string
	timeout  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.wharf, "wharf", "bin/wharf", "path of the wharf binary to measure")
	flag.IntVar(&o.runs, "runs", 50, "job run to running: number of runs")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "idle agent: measurement window")
	flag.IntVar(&o.tasks, "tasks", 10, "idle agent: raw_exec tasks in the second measurement")
	flag.IntVar(&o.lossRuns, "loss-runs", 3, "node loss: number of runs")
	flag.StringVar(&o.only, "only", "start,idle,loss", "comma-separated parts to run: start, idle, loss")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "clientbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	bin, err := benchrun.Wharf(o.wharf)
	if err != nil {
		return err
	}
	ctx, stop, root, err := benchrun.Start("clientbench", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	env := &benchEnv{bin: bin, root: root, nonce: fmt.Sprintf("cb%d", time.Now().UnixNano())}
	bridges := jailBridges()
	defer removeNewJailBridges(bridges)
	defer env.cleanup()

	parts := map[string]func(context.Context, *benchEnv, options) error{
		"start": benchStart, "idle": benchIdle, "loss": benchLoss,
	}
	for _, name := range strings.Split(o.only, ",") {
		f, ok := parts[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown part %q (want start, idle or loss)", name)
		}
		if err := f(ctx, env, o); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
