//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// settled waits, up to bound, until every evaluation of the jobs is
// terminal and every allocation is terminal on its client or on a node
// that is down (what a collection can take), and prints how long that
// took or what is still outstanding.
func settled(ctx context.Context, servers []*server, ids []string, bound time.Duration) {
	start := time.Now()
	for {
		evals, allocs, err := outstanding(servers[0], ids)
		if err == nil && evals == 0 && allocs == 0 {
			fmt.Printf("servers settled (every evaluation done, every allocation reported) in %s\n", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > bound || ctx.Err() != nil {
			fmt.Printf("after %s still %d evaluations pending and %d allocations running on ready nodes (%v)\n",
				bound, evals, allocs, err)
			return
		}
		settle(ctx, 2*time.Second)
	}
}

// outstanding counts the jobs' evaluations not yet terminal and their
// allocations still running or pending on a node that is not down.
func outstanding(s *server, ids []string) (evals, allocs int, err error) {
	var nodes []*structs.NodeListStub
	if err := getJSON(s.addr+"/v1/nodes", &nodes); err != nil {
		return 0, 0, err
	}
	down := map[string]bool{}
	for _, n := range nodes {
		down[n.ID] = n.Status == structs.NodeStatusDown
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		var es []*structs.Evaluation
		if err := getJSON(s.addr+"/v1/job/"+id+"/evaluations", &es); err != nil {
			return 0, 0, err
		}
		for _, e := range es {
			if !e.TerminalStatus() {
				evals++
			}
		}
		var as []*structs.AllocListStub
		if err := getJSON(s.addr+"/v1/job/"+id+"/allocations", &as); err != nil {
			return 0, 0, err
		}
		for _, a := range as {
			switch a.ClientStatus {
			case structs.AllocClientStatusRunning, structs.AllocClientStatusPending:
				if !down[a.NodeID] {
					allocs++
				}
			}
		}
	}
	return evals, allocs, nil
}

// counterSum adds an unlabelled counter over the servers (each counts
// what it did while it led).
func counterSum(servers []*server, name string) float64 {
	var sum float64
	for _, s := range servers {
		v, _ := metric(s.addr, name)
		sum += v
	}
	return sum
}

// heapInUse is a server's go_memstats_heap_inuse_bytes in MiB.
func heapInUse(s *server) float64 {
	var resp struct {
		Gauges []struct {
			Name  string
			Value float64
		}
	}
	if err := getJSON(s.addr+"/v1/metrics", &resp); err != nil {
		return 0
	}
	for _, g := range resp.Gauges {
		if g.Name == "go_memstats_heap_inuse_bytes" {
			return g.Value / (1 << 20)
		}
	}
	return 0
}
