package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// scanSnapshot hides the snapshot's UsageSummary, so the scheduler scans
// every visited node's allocations.
type scanSnapshot struct{ state.Snapshot }

// placeNodes are n ready nodes with 4000 MHz, 8 GiB and a healthy
// raw_exec driver, each with its own address.
func placeNodes(n int) []*structs.Node {
	healthy := &structs.DriverInfo{Detected: true, Healthy: true}
	out := make([]*structs.Node, n)
	for i := range out {
		out[i] = &structs.Node{
			ID: fmt.Sprintf("node-%05d", i), Name: fmt.Sprintf("client-%05d", i), Datacenter: "dc1",
			Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeSchedulingEligible,
			Attributes: map[string]string{"kernel.name": "freebsd",
				"unique.network.ip-address": fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)},
			NodeResources: &structs.NodeResources{Cpu: structs.NodeCpuResources{CpuShares: 4000},
				Memory: structs.NodeMemoryResources{MemoryMB: 8192}},
			Drivers: map[string]*structs.DriverInfo{"raw_exec": healthy},
		}
	}
	return out
}

// placeJob is a service job of count allocations of 100 MHz and 64 MB
// with one dynamic host port each.
func placeJob(id string, count int) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Namespace: "default", Type: structs.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: count,
			Networks: []*structs.NetworkResource{{Mode: "host", DynamicPorts: []structs.Port{{Label: "http"}}}},
			Tasks: []*structs.Task{{
				Name: "server", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep"},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
	}
}

// BenchmarkPlace100Jobs1kIndex is the scheduler's BenchmarkPlace100Jobs1k
// through a real index: 100 jobs of 1,000 allocations each, one after
// the other, on 5,000 nodes of an in-memory store; each job is scheduled
// on a store snapshot and its plan applied before the next. placements/s
// counts scheduler time only; e2e-placements/s adds registering the job
// and applying the plan. "summary" reads the index's per-node usage
// summaries, "scan" hides them.
func BenchmarkPlace100Jobs1kIndex(b *testing.B) {
	cases := []struct {
		name string
		wrap func(state.Snapshot) scheduler.State
	}{
		{"summary", func(s state.Snapshot) scheduler.State { return s }},
		{"scan", func(s state.Snapshot) scheduler.State { return scanSnapshot{s} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchPlaceIndex(b, c.wrap) })
	}
}

func benchPlaceIndex(b *testing.B, wrap func(state.Snapshot) scheduler.State) {
	ctx := context.Background()
	var placements int
	var sched, total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		s := memstore.New()
		for _, n := range placeNodes(5000) {
			if _, err := s.UpsertNode(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		for j := range 100 {
			n, d := placeOne(b, s, wrap, placeJob(fmt.Sprintf("job-%03d", j), 1000), uint64(i*100+j))
			placements += n
			sched += d
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(placements)/sched.Seconds(), "placements/s")
	b.ReportMetric(float64(placements)/total.Seconds(), "e2e-placements/s")
}

// placeOne registers job, schedules it on a snapshot and applies the
// plan; it returns the placements and the time spent in the scheduler.
func placeOne(b *testing.B, s *memstore.Store, wrap func(state.Snapshot) scheduler.State,
	job *structs.Job, seed uint64) (int, time.Duration) {
	b.Helper()
	ctx := context.Background()
	ev := &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID,
		Type: job.Type, Priority: job.Priority, TriggeredBy: structs.EvalTriggerJobRegister,
		Status: structs.EvalStatusPending}
	if _, err := s.RegisterJob(ctx, job, []*structs.Evaluation{ev}, nil); err != nil {
		b.Fatal(err)
	}
	snap := s.Snapshot()
	stored := snap.Job(job.Namespace, job.ID)
	start := time.Now()
	res, err := scheduler.Process(wrap(snap), snap.Eval(ev.ID), stored,
		scheduler.Options{Now: time.Now(), Rand: rand.New(rand.NewPCG(seed, 7))})
	d := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if res.Blocked {
		b.Fatalf("job %s blocked: %+v", job.ID, res.FailedTGAllocs)
	}
	if _, err := s.ApplyPlan(ctx, res.Plan, nil); err != nil {
		b.Fatal(err)
	}
	return res.Plan.Size(), d
}
