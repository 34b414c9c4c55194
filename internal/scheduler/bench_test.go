package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// benchNodes are n ready nodes with 4000 MHz, 8 GiB and healthy raw_exec
// and pot drivers, each with its own address.
func benchNodes(n int) []*structs.Node {
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
			Drivers: map[string]*structs.DriverInfo{"raw_exec": healthy, "pot": healthy},
		}
	}
	return out
}

// benchClock adds up the wall and CPU time spent in Process. With -cpu 1
// the CPU time is what one core spent, whatever else runs on the machine.
type benchClock struct {
	placements int
	wall, cpu  time.Duration
}

// report publishes placements per wall-clock second and per CPU second.
func (c *benchClock) report(b *testing.B) {
	b.ReportMetric(float64(c.placements)/c.wall.Seconds(), "placements/s")
	if c.cpu > 0 {
		b.ReportMetric(float64(c.placements)/c.cpu.Seconds(), "placements/cpu-s")
	}
}

// benchProcess runs one evaluation of job, adding its placements and
// times to clock.
func benchProcess(b *testing.B, clock *benchClock, st State, job *structs.Job, seed uint64) *structs.Plan {
	b.Helper()
	opts := Options{Now: testNow, Rand: rand.New(rand.NewPCG(seed, 7))}
	start, startCPU := time.Now(), cpuTime()
	res, err := Process(st, evalFor(job), job, opts)
	clock.wall += time.Since(start)
	clock.cpu += cpuTime() - startCPU
	if err != nil {
		b.Fatal(err)
	}
	for _, as := range res.Plan.NodeAllocation {
		clock.placements += len(as)
	}
	if res.Blocked {
		b.Fatalf("job %s blocked: %+v", job.ID, res.FailedTGAllocs)
	}
	return res.Plan
}

// BenchmarkPlace10kOn5kNodes places one group of 10,000 allocations (one
// dynamic port each) on 5,000 nodes in one evaluation.
func BenchmarkPlace10kOn5kNodes(b *testing.B) {
	nodes := benchNodes(5000)
	var clock benchClock
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		st := newFakeState(nodes...)
		job := testJob("big", 10000)
		b.StartTimer()
		benchProcess(b, &clock, st, job, uint64(i))
	}
	clock.report(b)
}

// BenchmarkPlace100Jobs1k places 100 jobs of 1,000 allocations each on
// 5,000 nodes, one after the other; each plan is applied to the state
// before the next job, so later jobs see earlier usage. The state offers
// per-node usage summaries (UsageSummaryState), as a store's node index can.
func BenchmarkPlace100Jobs1k(b *testing.B) {
	bench100Jobs(b, func(st *fakeState) State { return &usageState{st} })
}

// BenchmarkPlace100Jobs1kScan is BenchmarkPlace100Jobs1k against a State
// without usage summaries: every visited node's allocations are scanned
// once per evaluation.
func BenchmarkPlace100Jobs1kScan(b *testing.B) {
	bench100Jobs(b, func(st *fakeState) State { return st })
}

// bench100Jobs runs the 100 jobs benchmark against the State wrap makes.
func bench100Jobs(b *testing.B, wrap func(*fakeState) State) {
	nodes := benchNodes(5000)
	var clock benchClock
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		st := newFakeState(nodes...)
		b.StartTimer()
		for j := range 100 {
			job := testJob(fmt.Sprintf("job-%03d", j), 1000)
			plan := benchProcess(b, &clock, wrap(st), job, uint64(i*100+j))
			b.StopTimer()
			st.apply(plan)
			b.StartTimer()
		}
	}
	clock.report(b)
}
