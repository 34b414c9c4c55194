package scheduler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// ExampleProcess places a job on a store's snapshot. Process is a pure
// function: it reads the snapshot and returns a plan, which the server's
// leader then writes with state.Store.ApplyPlan.
func ExampleProcess() {
	ctx := context.Background()
	s := memstore.New()
	for _, id := range []string{"node-a", "node-b"} {
		_, _ = s.UpsertNode(ctx, &structs.Node{
			ID: id, Name: id, Datacenter: "dc1", Status: structs.NodeStatusReady,
			SchedulingEligibility: structs.NodeSchedulingEligible,
			Attributes:            map[string]string{"kernel.name": "linux"},
			NodeResources: &structs.NodeResources{
				Cpu:    structs.NodeCpuResources{CpuShares: 1000},
				Memory: structs.NodeMemoryResources{MemoryMB: 1024},
				Disk:   structs.NodeDiskResources{DiskMB: 10000},
			},
			Drivers: map[string]*structs.DriverInfo{"raw_exec": {Detected: true, Healthy: true}},
		})
	}
	job := &structs.Job{
		ID: "web", Name: "web", Namespace: "default", Type: structs.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: 3,
			Tasks: []*structs.Task{{
				Name: "server", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep"},
				Resources: &structs.Resources{CPU: 400, MemoryMB: 256},
			}},
		}},
	}
	eval := &structs.Evaluation{ID: "eval-1", Namespace: "default", JobID: "web", Type: job.Type,
		Priority: 50, TriggeredBy: structs.EvalTriggerJobRegister, Status: structs.EvalStatusPending}

	res, err := scheduler.Process(s.Snapshot(), eval, job, scheduler.Options{
		Now:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Rand: rand.New(rand.NewPCG(1, 2)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	placed := 0
	var nodes []string
	for node, allocs := range res.Plan.NodeAllocation {
		placed += len(allocs)
		nodes = append(nodes, node)
	}
	slices.Sort(nodes)
	fmt.Println("placed:", placed, "on", nodes)
	// Each node of 1,000 MHz holds two instances of 400 MHz.
	fmt.Println("blocked:", res.Blocked)

	// One more instance than the nodes can hold: the plan places what fits
	// and says why the rest did not.
	job.TaskGroups[0].Count = 5
	res, _ = scheduler.Process(s.Snapshot(), eval, job, scheduler.Options{
		Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Rand: rand.New(rand.NewPCG(1, 2)),
	})
	fmt.Println("queued:", res.QueuedAllocations["web"], "blocked:", res.Blocked)
	fmt.Println("exhausted:", res.FailedTGAllocs["web"].NodesExhausted)
	// Output:
	// placed: 3 on [node-a node-b]
	// blocked: false
	// queued: 1 blocked: true
	// exhausted: 2
}
