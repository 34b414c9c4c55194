package cluster

import (
	"sync"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestDrainMaxParallelAndDeadline drains a client that runs all four
// allocations of a job whose migrate block says max_parallel 1 and
// min_healthy_time 3s, with a 6 s deadline: before the deadline at most
// one allocation is on its way at a time (stopped on the drained client
// and its replacement not yet healthy), the next leaving only once the
// previous replacement has run for 3 s; at the deadline every allocation
// left is stopped, its task is gone, and the drain completes.
func TestDrainMaxParallelAndDeadline(t *testing.T) {
	const (
		minHealthy = 3 * time.Second
		deadline   = 6 * time.Second
		slack      = 250 * time.Millisecond
	)
	c := harness.New(t, harness.Options{Servers: 1, Clients: 2})
	leader := c.Leader(t)
	nomad := leader.NomadAPI()
	drained, other := c.Clients[0], c.Clients[1]
	drainedID, otherID := nodeIDOf(t, leader, drained.Name), nodeIDOf(t, leader, other.Name)

	// Everything on the client to drain: the other one is ineligible
	// until the job runs.
	if _, err := nomad.Nodes().ToggleEligibility(otherID, false, nil); err != nil {
		t.Fatal(err)
	}
	job := harness.SleepJob("drain", 4)
	job.TaskGroups[0].Migrate = &nomadapi.MigrateStrategy{MaxParallel: ptr(1), HealthCheck: ptr("task_states"),
		MinHealthyTime: ptr(minHealthy), HealthyDeadline: ptr(time.Minute)}
	leader.Register(t, job)
	allocs := c.WaitRunning(t, leader, "drain", 4, 30*time.Second)
	old := allocsOn(allocs, drainedID)
	if len(old) != 4 {
		t.Fatalf("%d allocations on %s, want all 4", len(old), drained.Name)
	}
	if _, err := nomad.Nodes().ToggleEligibility(otherID, true, nil); err != nil {
		t.Fatal(err)
	}
	c.WaitFor(t, 10*time.Second, "the allocations healthy", func() bool {
		return settledOn(t, nomad, "drain", drainedID, time.Now(), minHealthy) == 4
	})

	w := &drainWatcher{nomad: nomad, job: "drain", drained: drainedID, other: otherID,
		minHealthy: minHealthy - slack, stopped: map[string]time.Time{}}
	start := time.Now()
	if _, err := nomad.Nodes().UpdateDrain(drainedID, &nomadapi.DrainSpec{Deadline: deadline}, false, nil); err != nil {
		t.Fatalf("drain: %v", err)
	}
	c.WaitFor(t, deadline+15*time.Second, "the drain to complete", func() bool {
		w.sample(t, start.Add(deadline))
		n, _, err := nomad.Nodes().Info(drainedID, nil)
		return err == nil && n.DrainStrategy == nil && len(w.stopped) == 4
	})
	t.Logf("drain complete %s after it started; most in flight before the deadline: %d", time.Since(start).Round(10*time.Millisecond), w.maxInFlight)
	if w.maxInFlight != 1 {
		t.Errorf("%d allocations were on their way at once before the deadline, want 1 (max_parallel)", w.maxInFlight)
	}
	var early, atDeadline int
	for _, at := range w.stopped {
		switch d := at.Sub(start); {
		case d < deadline-slack:
			early++
		case d > deadline+3*time.Second:
			t.Errorf("an allocation was stopped %s after the drain started, long after its %s deadline", d, deadline)
		default:
			atDeadline++
		}
	}
	// The first leaves at once and the second 3 s after its replacement
	// runs; the second replacement is not healthy before the deadline, so
	// the last two are forced.
	if early != 2 || atDeadline != 2 {
		t.Errorf("%d allocations migrated before the deadline and %d at it, want 2 and 2", early, atDeadline)
	}
	c.WaitFor(t, 10*time.Second, "the drained client's tasks gone", func() bool {
		for _, id := range old {
			if len(allocProcs(id)) > 0 {
				return false
			}
		}
		return true
	})
	n, _, err := nomad.Nodes().Info(drainedID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.SchedulingEligibility != "ineligible" || n.LastDrain == nil || n.LastDrain.Status != nomadapi.DrainStatusComplete {
		t.Errorf("drained node: eligibility %q last drain %+v, want ineligible and complete", n.SchedulingEligibility, n.LastDrain)
	}
	c.WaitRunning(t, leader, "drain", 4, 15*time.Second)
	checkOnePerName(t, leader, "drain", 4)
}

// drainWatcher samples a drain: when each allocation of the drained node
// was first seen stopped, and the most allocations on their way at once
// before the deadline.
type drainWatcher struct {
	nomad          *nomadapi.Client
	job            string
	drained, other string
	minHealthy     time.Duration

	mu          sync.Mutex
	stopped     map[string]time.Time
	maxInFlight int
}

// sample reads the job's allocations once. In flight are the drained
// node's stopped allocations whose replacement has not run healthy for
// min_healthy_time yet.
func (w *drainWatcher) sample(t *testing.T, deadline time.Time) {
	now := time.Now()
	allocs, _, err := w.nomad.Jobs().Allocations(w.job, true, nil)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	stopped, healthy := 0, 0
	for _, a := range allocs {
		switch {
		case a.NodeID == w.drained && a.DesiredStatus != "run":
			stopped++
			if _, ok := w.stopped[a.ID]; !ok {
				w.stopped[a.ID] = now
			}
		case a.NodeID == w.other && runningFor(a, now) >= w.minHealthy:
			healthy++
		}
	}
	if now.Before(deadline) {
		w.maxInFlight = max(w.maxInFlight, stopped-healthy)
	}
}

// settledOn counts the job's allocations on node that have run for d.
func settledOn(t *testing.T, nomad *nomadapi.Client, job, node string, now time.Time, d time.Duration) int {
	allocs, _, err := nomad.Jobs().Allocations(job, false, nil)
	if err != nil {
		return 0
	}
	n := 0
	for _, a := range allocs {
		if a.NodeID == node && a.DesiredStatus == "run" && runningFor(a, now) >= d {
			n++
		}
	}
	return n
}

// runningFor is how long every task of a has been running, 0 if one is
// not.
func runningFor(a *nomadapi.AllocationListStub, now time.Time) time.Duration {
	if a.ClientStatus != "running" || len(a.TaskStates) == 0 {
		return 0
	}
	var since time.Time
	for _, ts := range a.TaskStates {
		if ts.State != "running" {
			return 0
		}
		if ts.StartedAt.After(since) {
			since = ts.StartedAt
		}
	}
	return now.Sub(since)
}

func ptr[T any](v T) *T { return &v }

// TestDrainDeadlineAcrossLeaderKill starts a drain that nothing may move
// before its deadline (max_parallel 0), then kills the leader: the next
// leader takes the drain over from the node's stored strategy and forces
// the allocations off at the deadline, not before, and completes it.
func TestDrainDeadlineAcrossLeaderKill(t *testing.T) {
	const deadline = 12 * time.Second
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2})
	leader := c.Leader(t)
	drained, other := c.Clients[0], c.Clients[1]
	drainedID, otherID := nodeIDOf(t, leader, drained.Name), nodeIDOf(t, leader, other.Name)
	if _, err := leader.NomadAPI().Nodes().ToggleEligibility(otherID, false, nil); err != nil {
		t.Fatal(err)
	}
	job := harness.SleepJob("failover", 2)
	job.TaskGroups[0].Migrate = &nomadapi.MigrateStrategy{MaxParallel: ptr(0)}
	leader.Register(t, job)
	old := allocsOn(c.WaitRunning(t, leader, "failover", 2, 30*time.Second), drainedID)
	if len(old) != 2 {
		t.Fatalf("%d allocations on %s, want 2", len(old), drained.Name)
	}
	if _, err := leader.NomadAPI().Nodes().ToggleEligibility(otherID, true, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := leader.NomadAPI().Nodes().UpdateDrain(drainedID, &nomadapi.DrainSpec{Deadline: deadline}, false, nil); err != nil {
		t.Fatalf("drain: %v", err)
	}
	leader.Kill()
	next := c.Leader(t)
	t.Logf("new leader %s %s after the drain started", next.Name, time.Since(start).Round(10*time.Millisecond))
	nomad := next.NomadAPI()
	var moved time.Duration
	c.WaitFor(t, deadline+20*time.Second, "the allocations off the drained node", func() bool {
		allocs, _, err := nomad.Jobs().Allocations("failover", true, nil)
		if err != nil {
			return false
		}
		left := 0
		for _, a := range allocs {
			if a.NodeID == drainedID && a.DesiredStatus == "run" {
				left++
			}
		}
		moved = time.Since(start)
		return left == 0
	})
	t.Logf("allocations forced off %s after the drain started (deadline %s)", moved.Round(10*time.Millisecond), deadline)
	if moved < deadline-250*time.Millisecond {
		t.Errorf("allocations left after %s, before the %s deadline", moved, deadline)
	}
	c.WaitFor(t, 15*time.Second, "the drain complete", func() bool {
		n, _, err := nomad.Nodes().Info(drainedID, nil)
		return err == nil && n.DrainStrategy == nil && n.LastDrain != nil && n.LastDrain.Status == nomadapi.DrainStatusComplete
	})
	c.WaitRunning(t, next, "failover", 2, 15*time.Second)
	checkOnePerName(t, next, "failover", 2)
}
