package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/latency"
	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// lossSample is one node-loss run, times from the kill -9.
type lossSample struct {
	down    time.Duration // the server marked the killed node down
	running time.Duration // the replacement ran on the other node
}

// benchLoss runs o.lossRuns times: a server, two client-only agents with
// default settings, a count-1 raw_exec job, kill -9 of the client that
// runs it, and the time until the replacement runs on the other node.
func benchLoss(ctx context.Context, e *benchEnv, o options) error {
	var samples []lossSample
	for i := 0; i < o.lossRuns; i++ {
		s, err := lossOnce(ctx, e, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		fmt.Printf("node loss run %d: node down after %s, replacement running after %s\n", i+1, latency.MS(s.down), latency.MS(s.running))
		samples = append(samples, s)
	}
	var downs, runs []time.Duration
	for _, s := range samples {
		downs, runs = append(downs, s.down), append(runs, s.running)
	}
	fmt.Printf("\n== node loss, default settings, %d runs ==\n", len(samples))
	fmt.Printf("median: node down %s, replacement running %s\n", latency.MS(latency.Percentile(downs, 50)), latency.MS(latency.Percentile(runs, 50)))
	return nil
}

func lossOnce(ctx context.Context, e *benchEnv, i int) (lossSample, error) {
	var s lossSample
	// ACLs off, as the dev agents of the other parts: a server agent
	// enables them by default and would refuse the clients until
	// bootstrapped.
	srv, err := e.startAgent(fmt.Sprintf("loss%d-server", i), "-server", "-acl-enabled=false", "-data-dir", "{dir}")
	if err != nil {
		return s, err
	}
	agents := []*agent{srv}
	defer func() {
		for _, a := range agents {
			a.killGroup()
		}
	}()
	if err := srv.waitReady(ctx, true, false); err != nil {
		return s, err
	}
	var clients []*agent
	for k := 0; k < 2; k++ {
		cl, err := e.startClient(fmt.Sprintf("loss%d-client%d", i, k), srv)
		if err != nil {
			return s, err
		}
		agents = append(agents, cl)
		if err := cl.waitReady(ctx, false, true); err != nil {
			return s, err
		}
		clients = append(clients, cl)
	}
	c, err := srv.client()
	if err != nil {
		return s, err
	}
	id := fmt.Sprintf("loss-%d", i)
	marker := e.marker(id)
	defer killMarked(marker)
	file, err := writeJob(srv.dir, id, marker, 1, "/bin/sleep", "3600")
	if err != nil {
		return s, err
	}
	cli := exec.CommandContext(ctx, e.bin, "job", "run", "-detach", file)
	cli.Env = append(os.Environ(), "WHARF_ADDR="+srv.addr)
	if out, err := cli.CombinedOutput(); err != nil {
		return s, fmt.Errorf("job run: %w\n%s", err, out)
	}
	if err := waitRunning(ctx, c, id, 1); err != nil {
		return s, err
	}
	allocs, _, err := c.Jobs().Allocations(id, false, &api.QueryOptions{Context: ctx})
	if err != nil || len(allocs) != 1 {
		return s, fmt.Errorf("allocations: %d, %v", len(allocs), err)
	}
	k := slices.IndexFunc(clients, func(a *agent) bool { return a.nodeID == allocs[0].NodeID })
	if k < 0 {
		return s, fmt.Errorf("allocation on node %s, not one of the clients", allocs[0].NodeID)
	}
	victim := clients[k]
	downCh := make(chan time.Time, 1)
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	go watchDown(wctx, c, victim.nodeID, downCh)

	killed := time.Now()
	victim.kill()
	at, err := waitReplacement(wctx, c, id, victim.nodeID)
	if err != nil {
		return s, err
	}
	s.running = at.Sub(killed)
	select {
	case t := <-downCh:
		s.down = t.Sub(killed)
	case <-wctx.Done():
		return s, fmt.Errorf("node never seen down")
	}
	_, _ = c.Jobs().Deregister(id, true)
	return s, nil
}

// startClient runs a client-only agent from a configuration file with
// Nomad's default settings, registered with srv.
func (e *benchEnv) startClient(name string, srv *agent) (*agent, error) {
	dir, err := e.tempDir(name + "-conf")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "client.hcl")
	body := fmt.Sprintf(`datacenter = "minipot"
data_dir   = %q
client {
  enabled           = true
  servers           = [%q]
  network_interface = "lo"
  options           = { "driver.raw_exec.enable" = "1" }
}
`, filepath.Join(dir, "data"), srv.addr[len("http://"):])
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	return e.startAgent(name, "-config", cfg)
}

// watchDown sends the time at which a blocking query first shows the node
// down.
func watchDown(ctx context.Context, c *api.Client, nodeID string, out chan<- time.Time) {
	var index uint64
	for ctx.Err() == nil {
		n, meta, err := c.Nodes().Info(nodeID, &api.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second, Context: ctx})
		if err != nil {
			return
		}
		if n.Status == structs.NodeStatusDown {
			out <- time.Now()
			return
		}
		index = meta.LastIndex
	}
}

// waitReplacement follows the job's allocations with blocking queries until
// one runs on a node other than lost, and returns when it saw that.
func waitReplacement(ctx context.Context, c *api.Client, job, lost string) (time.Time, error) {
	var index uint64
	for {
		allocs, meta, err := c.Jobs().Allocations(job, false, &api.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second, Context: ctx})
		if err != nil {
			return time.Time{}, fmt.Errorf("waiting for the replacement: %w", err)
		}
		index = meta.LastIndex
		for _, al := range allocs {
			if al.NodeID != lost && al.ClientStatus == structs.AllocClientStatusRunning && al.DesiredStatus == structs.AllocDesiredStatusRun {
				return time.Now(), nil
			}
		}
	}
}

// killMarked kills the marked tasks and their supervisors' process groups
// (a killed client leaves its supervisor and task running, by design).
func killMarked(marker string) {
	tasks := markerPIDs(marker)
	for _, s := range supervisorsOf(tasks) {
		if strings.Contains(procfs.Cmdline(s), " supervise ") {
			_ = syscall.Kill(-s, syscall.SIGKILL)
		}
	}
	for _, p := range tasks {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}
