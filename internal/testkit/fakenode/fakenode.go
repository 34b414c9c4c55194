// Package fakenode is a test double of a client node: it registers over
// the HTTP API, heartbeats within its TTL, and can report its allocations
// running, so server behaviour (placement, node loss, rescheduling) can be
// tested and benchmarked without running tasks.
//
// fakenode must only be imported by tests and benchmarks.
package fakenode

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// NewNode returns a ready node description with 4 cores at 1 GHz, 8 GiB
// of memory and the given healthy drivers.
func NewNode(name, datacenter string, drivers ...string) *structs.Node {
	n := &structs.Node{
		ID: structs.GenerateUUID(), SecretID: structs.GenerateUUID(), Name: name, Datacenter: datacenter,
		Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeSchedulingEligible,
		Attributes: map[string]string{
			"kernel.name": "linux", "cpu.arch": "amd64", "unique.network.ip-address": "127.0.0.1",
			"unique.hostname": name,
		},
		NodeResources: &structs.NodeResources{
			Cpu:    structs.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4},
			Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk:   structs.NodeDiskResources{DiskMB: 100_000},
		},
		Drivers: map[string]*structs.DriverInfo{},
	}
	for _, d := range drivers {
		n.Drivers[d] = &structs.DriverInfo{Detected: true, Healthy: true, HealthDescription: "Healthy"}
	}
	return n
}

// Options tune a running fake node.
type Options struct {
	// MarkRunning reports every allocation placed on the node as running.
	MarkRunning bool
	// MarkStopped reports every allocation the servers stopped as
	// complete, as a client does once its tasks are killed (with
	// MarkRunning).
	MarkStopped bool
}

// Runner is a registered fake node that heartbeats until stopped.
type Runner struct {
	Node   *structs.Node
	client *api.Client
	opts   Options
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start registers node and keeps it alive in the background.
func Start(ctx context.Context, c *api.Client, node *structs.Node, opts Options) (*Runner, error) {
	resp, err := c.Nodes().Register(node)
	if err != nil {
		return nil, fmt.Errorf("register fake node %s: %w", node.Name, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Runner{Node: node, client: c.WithContext(ctx).WithNodeSecret(node.SecretID), opts: opts, cancel: cancel}
	r.wg.Add(1)
	go r.heartbeat(ctx, resp.HeartbeatTTL)
	if opts.MarkRunning {
		r.wg.Add(1)
		go r.reportRunning(ctx)
	}
	return r, nil
}

// Client is the node's API client: it sends the node's secret, so it may
// write what the node owns (its allocations and service instances).
func (r *Runner) Client() *api.Client { return r.client }

// Stop stops heartbeating: to the servers the node has died.
func (r *Runner) Stop() {
	r.cancel()
	r.wg.Wait()
}

func (r *Runner) heartbeat(ctx context.Context, ttl time.Duration) {
	defer r.wg.Done()
	for {
		wait := max(ttl/2, 10*time.Millisecond)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		resp, err := r.client.Nodes().Heartbeat(r.Node.ID)
		if err != nil {
			if api.IsNotFound(err) {
				_, _ = r.client.Nodes().Register(r.Node)
			}
			continue
		}
		ttl = resp.HeartbeatTTL
	}
}

// reportRunning watches the node's allocations with blocking queries and
// reports each new one running and, with MarkStopped, each stopped one
// complete.
func (r *Runner) reportRunning(ctx context.Context) {
	defer r.wg.Done()
	var index uint64
	reported := map[string]bool{}
	for ctx.Err() == nil {
		allocs, meta, err := r.client.Nodes().Allocations(r.Node.ID, &api.QueryOptions{WaitIndex: index, WaitTime: time.Minute})
		if err != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		index = meta.LastIndex
		var updates []*structs.Allocation
		for _, a := range allocs {
			if r.opts.MarkStopped && a.ServerTerminalStatus() && !a.ClientTerminalStatus() {
				updates = append(updates, &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusComplete,
					ClientDescription: "All tasks have completed"})
				continue
			}
			if reported[a.ID] || a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending {
				continue
			}
			reported[a.ID] = true
			updates = append(updates, &structs.Allocation{ID: a.ID, ClientStatus: structs.AllocClientStatusRunning,
				ClientDescription: "Tasks are running"})
		}
		if len(updates) > 0 {
			_ = r.client.Allocations().UpdateAllocs(updates)
		}
	}
}
