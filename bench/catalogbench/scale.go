package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	consul "github.com/hashicorp/consul/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// scaleJob is a raw_exec job of count allocations, each with a dynamic
// port "p" and per services on it, each with one 1 s tcp check.
func scaleJob(id, marker string, count, per, cpu int) string {
	var svcs strings.Builder
	for k := range per {
		fmt.Fprintf(&svcs, `      service {
        name = "cbs-%d"
        port = "p"
        check {
          type     = "tcp"
          interval = "1s"
          timeout  = "500ms"
        }
      }
`, k)
	}
	return fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  group "g" {
    count = %d
    network {
      port "p" {}
    }
    task "t" {
      driver = "raw_exec"
      env { MARKER = %q }
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = %d
        memory = 10
      }
%s    }
  }
}
`, id, count, marker, cpu, svcs.String())
}

// benchScale runs allocs x per services with 1 s tcp checks against
// listeners the bench opens on each allocation's port, waits until all
// pass, then measures the agent's CPU and the catalog's writes over the
// window.
func benchScale(ctx context.Context, e *benchEnv, o options) error {
	const id = "catbench-scale"
	total := o.allocs * o.perAlloc
	if n, _, err := e.api.Nodes().Info(e.agent.nodeID, nil); err == nil && n.NodeResources != nil {
		fmt.Printf("\nnode: %d MHz CPU, %d MB memory; the job asks %d x (cpu %d, memory 10)\n",
			n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB, o.allocs, o.cpu)
	}
	job, err := e.api.Jobs().Parse(scaleJob(id, e.nonce, o.allocs, o.perAlloc, o.cpu), true)
	if err != nil {
		return fmt.Errorf("parse job: %w", err)
	}
	start := time.Now()
	if _, err := e.api.Jobs().Register(job, nil); err != nil {
		return fmt.Errorf("register job: %w", err)
	}
	e.addJob(id)
	allocs, err := waitRunning(ctx, e.api, id, o.allocs)
	if err != nil {
		return err
	}
	running := time.Since(start)
	var probes atomic.Int64
	stopListeners, err := listenOnPorts(e.api, allocs, &probes)
	defer stopListeners()
	if err != nil {
		return err
	}
	if err := waitPassing(ctx, e, o.perAlloc, total); err != nil {
		return err
	}
	passing := time.Since(start)
	fmt.Printf("\n== %d allocations x %d services, one 1 s tcp check each (%d checks) ==\n", o.allocs, o.perAlloc, total)
	fmt.Printf("job registered -> %d allocations running: %.1f s; -> all %d instances passing: %.1f s\n",
		o.allocs, running.Seconds(), total, passing.Seconds())
	time.Sleep(5 * time.Second) // let the last writes settle
	if err := measureSteady(ctx, e, o.window, &probes); err != nil {
		return err
	}
	return e.stopJobs()
}

// measureSteady samples the agent's CPU, the services table's index
// changes (Nomad /v1/services blocking), the Consul catalog index changes
// and the probes the listeners answered, over d.
func measureSteady(ctx context.Context, e *benchEnv, d time.Duration, probes *atomic.Int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var nomadWakes, consulWakes atomic.Int64
	nomadFirst, consulFirst := make(chan uint64, 1), make(chan uint64, 1)
	var nomadLast, consulLast atomic.Uint64
	go followNomadIndex(wctx, e.api, nomadFirst, &nomadLast, &nomadWakes)
	cc, err := consul.NewClient(&consul.Config{Address: e.agent.consul})
	if err != nil {
		return err
	}
	go followConsulIndex(wctx, cc, consulFirst, &consulLast, &consulWakes)
	n0, c0 := <-nomadFirst, <-consulFirst
	t0, err := procfs.CPUTicks(e.agent.pid())
	if err != nil {
		return err
	}
	p0, begin := probes.Load(), time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
	}
	t1, err := procfs.CPUTicks(e.agent.pid())
	if err != nil {
		return err
	}
	secs := time.Since(begin).Seconds()
	p1 := probes.Load()
	rss, err := procfs.RSSKB(e.agent.pid())
	if err != nil {
		return err
	}
	fmt.Printf("steady state over %.0f s:\n", secs)
	fmt.Printf("  agent CPU (utime+stime): %.2f%% of one core; VmRSS %.1f MB\n",
		100*float64(t1-t0)/procfs.ClockTicks/secs, float64(rss)/1024)
	fmt.Printf("  tcp probes answered by the listeners: %d (%.0f/s)\n", p1-p0, float64(p1-p0)/secs)
	fmt.Printf("  services table (X-Nomad-Index of /v1/services): %d -> %d, %d blocking-query wake-ups with a new index (%.2f/s)\n",
		n0, nomadLast.Load(), nomadWakes.Load(), float64(nomadWakes.Load())/secs)
	fmt.Printf("  Consul catalog (X-Consul-Index of /v1/catalog/services, services + nodes): %d -> %d, %d wake-ups with a new index (%.2f/s)\n",
		c0, consulLast.Load(), consulWakes.Load(), float64(consulWakes.Load())/secs)
	return nil
}

func followNomadIndex(ctx context.Context, c *api.Client, first chan<- uint64, last *atomic.Uint64, wakes *atomic.Int64) {
	var index uint64
	for ctx.Err() == nil {
		_, meta, err := c.Services().List(&api.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second, Context: ctx})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if index == 0 {
			first <- meta.LastIndex
		} else if meta.LastIndex != index {
			wakes.Add(1)
		}
		index = meta.LastIndex
		last.Store(index)
	}
}

func followConsulIndex(ctx context.Context, c *consul.Client, first chan<- uint64, last *atomic.Uint64, wakes *atomic.Int64) {
	var index uint64
	for ctx.Err() == nil {
		q := (&consul.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second}).WithContext(ctx)
		_, meta, err := c.Catalog().Services(q)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if index == 0 {
			first <- meta.LastIndex
		} else if meta.LastIndex != index {
			wakes.Add(1)
		}
		index = meta.LastIndex
		last.Store(index)
	}
}

// waitRunning follows the job's allocations with blocking queries until
// n of them are running, and returns those.
func waitRunning(ctx context.Context, c *api.Client, job string, n int) ([]*structs.AllocListStub, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var index uint64
	for {
		allocs, meta, err := c.Jobs().Allocations(job, false, &api.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second, Context: ctx})
		if err != nil {
			return nil, fmt.Errorf("waiting for %d running: %w", n, err)
		}
		index = meta.LastIndex
		var running []*structs.AllocListStub
		for _, al := range allocs {
			if al.ClientStatus == structs.AllocClientStatusRunning {
				running = append(running, al)
			}
		}
		if len(running) >= n {
			return running, nil
		}
	}
}

// listenOnPorts opens a listener on 127.0.0.1 at every allocation's port
// "p", counting the connections (probes) it accepts.
func listenOnPorts(c *api.Client, allocs []*structs.AllocListStub, probes *atomic.Int64) (func(), error) {
	var lns []net.Listener
	stop := func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}
	for _, stub := range allocs {
		a, _, err := c.Allocations().Info(stub.ID, nil)
		if err != nil {
			return stop, fmt.Errorf("allocation %s: %w", stub.ID, err)
		}
		port := 0
		if a.AllocatedResources != nil {
			for _, p := range a.AllocatedResources.Shared.Ports {
				if p.Label == "p" {
					port = p.Value
				}
			}
		}
		if port == 0 {
			return stop, fmt.Errorf("allocation %s has no port p", stub.ID)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return stop, fmt.Errorf("listen on allocation %s's port: %w", stub.ID, err)
		}
		lns = append(lns, ln)
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				probes.Add(1)
				_ = conn.Close()
			}
		}()
	}
	return stop, nil
}

// waitPassing waits until the per services cbs-0.. have total passing
// instances in all.
func waitPassing(ctx context.Context, e *benchEnv, per, total int) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		n := 0
		for k := range per {
			regs, _, err := e.api.Services().Get(fmt.Sprintf("cbs-%d", k), &api.QueryOptions{Params: map[string]string{"passing": "true"}})
			if err != nil {
				return fmt.Errorf("services: %w", err)
			}
			n += len(regs)
		}
		if n >= total {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d instances passing after 3 minutes", n, total)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
