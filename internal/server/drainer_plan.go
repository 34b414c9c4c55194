package server

import (
	"cmp"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// jobTypeSystem is Nomad's system job type. wharf refuses system jobs, so
// no allocation has it today; a drain's IgnoreSystemJobs still names it.
const jobTypeSystem = "system"

// drainState is what the drainer reads; state.Snapshot satisfies it.
type drainState interface {
	Nodes() []*structs.Node
	Job(namespace, id string) *structs.Job
	AllocsByJob(namespace, jobID string) []*structs.Allocation
	AllocsByNode(nodeID string) []*structs.Allocation
	ServiceRegistrationsByAlloc(allocID string) []*structs.ServiceRegistration
}

// drainPlan is what one round of the drainer decided.
type drainPlan struct {
	// migrate lists, per job, the allocations to mark for migration.
	migrate map[structs.NamespacedID][]string
	// forced counts, per node, the allocations stopped because the
	// node's deadline passed.
	forced map[string]int
	// done are draining nodes with nothing left to move.
	done []*structs.Node
	// wake is when the plan may change without a store change (a
	// deadline, a replacement becoming healthy); zero for never.
	wake time.Time
}

// add marks allocID of job for migration.
func (p *drainPlan) add(job structs.NamespacedID, allocID string) {
	p.migrate[job] = append(p.migrate[job], allocID)
}

// wakeAt moves the plan's wake time earlier to t (zero t is ignored).
func (p *drainPlan) wakeAt(t time.Time) {
	if !t.IsZero() && (p.wake.IsZero() || t.Before(p.wake)) {
		p.wake = t
	}
}

// planDrain decides, as Nomad's drainer, what to do for every draining
// node at now:
//   - a node with no allocation left (other than system ones it ignores)
//     has finished draining;
//   - a node past its deadline has every remaining allocation marked;
//   - allocations whose job is gone are marked at once;
//   - otherwise a service group's allocations on draining nodes are marked
//     only while at least count - migrate.max_parallel of the group's
//     allocations have settled health (ran healthy for min_healthy_time,
//     or passed healthy_deadline): at most max_parallel are on their way
//     at once. Batch allocations are left to finish until the deadline.
func planDrain(st drainState, now time.Time) *drainPlan {
	p := &drainPlan{migrate: map[structs.NamespacedID][]string{}, forced: map[string]int{}}
	draining := map[string]*structs.Node{}
	for _, n := range st.Nodes() {
		if n.DrainStrategy != nil {
			draining[n.ID] = n
		}
	}
	marked := map[string]bool{}
	jobs := map[structs.NamespacedID]bool{}
	for _, id := range sortedKeys(draining) {
		p.node(st, draining[id], now, marked, jobs)
	}
	for _, k := range sortedJobKeys(jobs) {
		job := st.Job(k.Namespace, k.ID)
		if job == nil || job.Stopped() || job.Type == structs.JobTypeBatch {
			continue
		}
		allocs := st.AllocsByJob(k.Namespace, k.ID)
		for _, tg := range job.TaskGroups {
			g := groupDrain{st: st, tg: tg, draining: draining, marked: marked, now: now}
			for _, id := range g.plan(allocs, p) {
				p.add(k, id)
			}
		}
	}
	return p
}

// node decides for one draining node what needs no look at its jobs:
// done, or forced past its deadline; otherwise it adds the node's jobs to
// jobs (allocations of a job that is gone are marked at once).
func (p *drainPlan) node(st drainState, n *structs.Node, now time.Time, marked map[string]bool, jobs map[structs.NamespacedID]bool) {
	left := remainingAllocs(st, n)
	switch {
	case len(left) == 0:
		p.done = append(p.done, n)
	case n.DrainStrategy.DeadlinePassed(now):
		for _, a := range left {
			if !markedForMigration(a) {
				p.add(drainJobKey(a), a.ID)
				marked[a.ID] = true
				p.forced[n.ID]++
			}
		}
	default:
		p.wakeAt(n.DrainStrategy.ForceDeadline)
		for _, a := range left {
			if st.Job(a.Namespace, a.JobID) == nil {
				// A job that is gone has no migrate limits.
				p.add(drainJobKey(a), a.ID)
				continue
			}
			jobs[drainJobKey(a)] = true
		}
	}
}

// remainingAllocs are the allocations a drain still has to move off n:
// those holding resources, except system jobs' when the drain ignores
// them.
func remainingAllocs(st drainState, n *structs.Node) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range st.AllocsByNode(n.ID) {
		if a.TerminalStatus() {
			continue
		}
		if n.DrainStrategy.IgnoreSystemJobs {
			if j := st.Job(a.Namespace, a.JobID); j != nil && j.Type == jobTypeSystem {
				continue
			}
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *structs.Allocation) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// groupDrain decides the migrations of one task group.
type groupDrain struct {
	st       drainState
	tg       *structs.TaskGroup
	draining map[string]*structs.Node
	marked   map[string]bool
	now      time.Time
}

// plan returns the group's allocations to mark now and moves p's wake time
// to when a pending replacement's health settles.
func (g *groupDrain) plan(allocs []*structs.Allocation, p *drainPlan) []string {
	m := g.tg.Migrate
	if m == nil {
		m = structs.DefaultMigrateStrategy()
	}
	settled := 0
	var drainable []*structs.Allocation
	for _, a := range allocs {
		if a.TaskGroup != g.tg.Name || a.TerminalStatus() || markedForMigration(a) || g.marked[a.ID] {
			continue
		}
		ok, at := migrateHealth(g.st, g.tg, m, a, g.now)
		if ok {
			settled++
		} else {
			p.wakeAt(at)
		}
		if n := g.draining[a.NodeID]; n != nil && !n.DrainStrategy.DeadlinePassed(g.now) {
			drainable = append(drainable, a)
		}
	}
	n := min(len(drainable), settled-(g.tg.Count-m.MaxParallel))
	if n <= 0 {
		return nil
	}
	slices.SortFunc(drainable, func(x, y *structs.Allocation) int {
		return cmp.Or(cmp.Compare(x.Index(), y.Index()), cmp.Compare(x.ID, y.ID))
	})
	ids := make([]string, 0, n)
	for _, a := range drainable[:n] {
		ids = append(ids, a.ID)
	}
	return ids
}

// migrateHealth reports whether a's health has settled for a migration
// (Nomad's allocation health, judged by the server): healthy once it has
// run for min_healthy_time (with "checks", while every service check of
// the allocation passes), or unhealthy once healthy_deadline has passed
// since it was created. If not settled, at is when it may settle without
// a store change.
func migrateHealth(st drainState, tg *structs.TaskGroup, m *structs.MigrateStrategy, a *structs.Allocation, now time.Time) (ok bool, at time.Time) {
	deadline := time.Unix(0, a.CreateTime).Add(m.HealthyDeadline)
	if !now.Before(deadline) {
		return true, time.Time{}
	}
	since, running := runningSince(a)
	if !running || (m.HealthCheck == structs.MigrateHealthChecks && !checksPassing(st, tg, a)) {
		return false, deadline
	}
	healthy := since.Add(m.MinHealthyTime)
	if !now.Before(healthy) {
		return true, time.Time{}
	}
	return false, healthy
}

// runningSince reports whether every task of a runs and since when: the
// latest task start, or, for an allocation reported running without task
// states, its last client update.
func runningSince(a *structs.Allocation) (time.Time, bool) {
	if a.ClientStatus != structs.AllocClientStatusRunning {
		return time.Time{}, false
	}
	if len(a.TaskStates) == 0 {
		return time.Unix(0, a.ModifyTime), true
	}
	var since time.Time
	for _, ts := range a.TaskStates {
		if ts == nil || ts.State != structs.TaskStateRunning {
			return time.Time{}, false
		}
		for _, t := range []time.Time{ts.StartedAt, ts.LastRestart} {
			if t.After(since) {
				since = t
			}
		}
	}
	return since, true
}

// checksPassing reports whether every service the group declares is
// registered for a and passing.
func checksPassing(st drainState, tg *structs.TaskGroup, a *structs.Allocation) bool {
	want := len(tg.Services)
	for _, t := range tg.Tasks {
		want += len(t.Services)
	}
	if want == 0 {
		return true
	}
	regs := st.ServiceRegistrationsByAlloc(a.ID)
	if len(regs) < want {
		return false
	}
	for _, r := range regs {
		if r.Health() != structs.HealthPassing {
			return false
		}
	}
	return true
}

// markedForMigration reports whether a is already marked for migration.
func markedForMigration(a *structs.Allocation) bool {
	m := a.DesiredTransition.Migrate
	return m != nil && *m
}

// drainJobKey is the key of a's job.
func drainJobKey(a *structs.Allocation) structs.NamespacedID {
	return structs.NamespacedID{Namespace: a.Namespace, ID: a.JobID}
}

// sortedJobKeys returns m's keys in order of namespace and ID.
func sortedJobKeys[V any](m map[structs.NamespacedID]V) []structs.NamespacedID {
	keys := make([]structs.NamespacedID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y structs.NamespacedID) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.ID, y.ID))
	})
	return keys
}
