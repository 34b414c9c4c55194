package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/latency"
)

// writeJob writes a raw_exec service job file: count instances of
// command args, each tagged with MARKER=marker in its environment.
func writeJob(dir, id, marker string, count int, command string, args ...string) (string, error) {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	src := fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  group "g" {
    count = %d
    task "t" {
      driver = "raw_exec"
      env { MARKER = %q }
      config {
        command = %q
        args    = [%s]
      }
      resources {
        cpu    = 20
        memory = 32
      }
    }
  }
}
`, id, count, marker, command, strings.Join(q, ", "))
	path := filepath.Join(dir, id+".nomad")
	return path, os.WriteFile(path, []byte(src), 0o600)
}

// startSample is one run of `job run -detach` to running.
type startSample struct {
	cliExit  time.Duration // the CLI process returned (job registered)
	placed   time.Duration // the allocation's CreateTime (scheduler placed it)
	seen     time.Duration // a blocking query first returned the allocation
	received time.Duration // the client's Received event on the task
	started  time.Duration // the task's StartedAt (the supervisor reported the exec)
	running  time.Duration // a blocking query returned it with ClientStatus running
	bare     time.Duration // the peer: fork/exec of /bin/sleep, Start() returning
}

// benchStart measures `wharf job run -detach` to the task running on a
// dev agent, run after run, each with a fresh job ID, beside a bare
// fork/exec of the same program.
func benchStart(ctx context.Context, e *benchEnv, o options) error {
	a, err := e.startAgent("start", "-dev", "-data-dir", "{dir}")
	if err != nil {
		return err
	}
	if err := a.waitReady(ctx, true, true); err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var samples []startSample
	for i := 0; i < o.runs; i++ {
		s, err := startOnce(ctx, e, a, c, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		if s.bare, err = bareExec(); err != nil {
			return err
		}
		samples = append(samples, s)
	}
	reportStart(samples)
	return nil
}

func startOnce(ctx context.Context, e *benchEnv, a *agent, c *api.Client, i int) (startSample, error) {
	var s startSample
	id := fmt.Sprintf("start-%d", i)
	marker := e.marker(id)
	file, err := writeJob(a.dir, id, marker, 1, "/bin/sleep", "3600")
	if err != nil {
		return s, err
	}
	_, meta, err := c.Jobs().Allocations(id, false, &api.QueryOptions{Context: ctx})
	if err != nil {
		return s, fmt.Errorf("allocations before run: %w", err)
	}
	index := meta.LastIndex
	cli := exec.CommandContext(ctx, e.bin, "job", "run", "-detach", file)
	cli.Env = append(os.Environ(), "WHARF_ADDR="+a.addr)
	type exit struct {
		d   time.Duration
		err error
	}
	cliDone := make(chan exit, 1)
	start := time.Now()
	if err := cli.Start(); err != nil {
		return s, fmt.Errorf("job run: %w", err)
	}
	go func() { err := cli.Wait(); cliDone <- exit{time.Since(start), err} }()
	for s.running == 0 {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		allocs, meta, err := c.Jobs().Allocations(id, false, &api.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second, Context: qctx})
		cancel()
		if err != nil {
			return s, fmt.Errorf("blocking query: %w", err)
		}
		index = meta.LastIndex
		for _, al := range allocs {
			if s.seen == 0 {
				s.seen = time.Since(start)
				s.placed = time.Unix(0, al.CreateTime).Sub(start)
			}
			if al.ClientStatus == structs.AllocClientStatusRunning {
				s.running = time.Since(start)
				s.received, s.started = taskTimes(al, start)
			}
		}
	}
	x := <-cliDone
	if x.err != nil {
		return s, fmt.Errorf("job run: %w", x.err)
	}
	s.cliExit = x.d
	if _, err := c.Jobs().Deregister(id, true); err != nil {
		return s, fmt.Errorf("stop: %w", err)
	}
	if !waitGone(marker, 15*time.Second) {
		return s, fmt.Errorf("task of %s still running 15s after stop -purge", id)
	}
	return s, nil
}

// taskTimes returns, relative to start, the first task event (Received)
// and the task's StartedAt.
func taskTimes(al *structs.AllocListStub, start time.Time) (received, started time.Duration) {
	for _, ts := range al.TaskStates {
		if len(ts.Events) > 0 {
			received = time.Unix(0, ts.Events[0].Time).Sub(start)
		}
		started = ts.StartedAt.Sub(start)
	}
	return received, started
}

// bareExec times a fork/exec of /bin/sleep: Start returns once the exec
// has succeeded (Go waits on a close-on-exec pipe).
func bareExec() (time.Duration, error) {
	cmd := exec.Command("/bin/sleep", "3600")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("bare exec: %w", err)
	}
	d := time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return d, nil
}

func reportStart(samples []startSample) {
	col := func(f func(startSample) time.Duration) []time.Duration {
		out := make([]time.Duration, len(samples))
		for i, s := range samples {
			out[i] = f(s)
		}
		return out
	}
	rows := []struct {
		name string
		ds   []time.Duration
	}{
		{"CLI returned (job registered)", col(func(s startSample) time.Duration { return s.cliExit })},
		{"allocation CreateTime (placed)", col(func(s startSample) time.Duration { return s.placed })},
		{"allocation first seen (blocking query)", col(func(s startSample) time.Duration { return s.seen })},
		{"task event Received (client got it)", col(func(s startSample) time.Duration { return s.received })},
		{"task StartedAt (supervisor exec'd it)", col(func(s startSample) time.Duration { return s.started })},
		{"ClientStatus running (blocking query)", col(func(s startSample) time.Duration { return s.running })},
		{"peer: bare fork/exec of /bin/sleep", col(func(s startSample) time.Duration { return s.bare })},
	}
	fmt.Printf("\n== job run -detach to running, %d runs (time from starting the CLI) ==\n", len(samples))
	fmt.Printf("| step | p50 | p99 | max |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s |\n", r.name, latency.MS(latency.Percentile(r.ds, 50)), latency.MS(latency.Percentile(r.ds, 99)), latency.MS(latency.Percentile(r.ds, 100)))
	}
}
