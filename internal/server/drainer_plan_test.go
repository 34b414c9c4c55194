package server

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// drainWorld is an in-memory drainState.
type drainWorld struct {
	nodes  []*structs.Node
	jobs   []*structs.Job
	allocs []*structs.Allocation
	regs   []*structs.ServiceRegistration
}

func (w *drainWorld) Nodes() []*structs.Node { return w.nodes }

func (w *drainWorld) Node(id string) *structs.Node {
	for _, n := range w.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func (w *drainWorld) Job(ns, id string) *structs.Job {
	for _, j := range w.jobs {
		if j.Namespace == ns && j.ID == id {
			return j
		}
	}
	return nil
}

func (w *drainWorld) AllocsByJob(ns, id string) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range w.allocs {
		if a.Namespace == ns && a.JobID == id {
			out = append(out, a)
		}
	}
	return out
}

func (w *drainWorld) AllocsByNode(id string) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range w.allocs {
		if a.NodeID == id {
			out = append(out, a)
		}
	}
	return out
}

func (w *drainWorld) ServiceRegistrationsByAlloc(id string) []*structs.ServiceRegistration {
	var out []*structs.ServiceRegistration
	for _, r := range w.regs {
		if r.AllocID == id {
			out = append(out, r)
		}
	}
	return out
}

var planNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// planJob is a job of jobType with one group "g" of count and migrate m.
func planJob(id, jobType string, count int, m *structs.MigrateStrategy) *structs.Job {
	return &structs.Job{Namespace: "default", ID: id, Type: jobType, TaskGroups: []*structs.TaskGroup{{
		Name: "g", Count: count, Migrate: m, Tasks: []*structs.Task{{Name: "t"}}}}}
}

// planAlloc is allocation index of job on node, created age before
// planNow and running since runFor before planNow (not running if
// runFor < 0).
func planAlloc(job *structs.Job, index int, node string, age, runFor time.Duration) *structs.Allocation {
	a := &structs.Allocation{
		ID: fmt.Sprintf("%s-%d-%s", job.ID, index, node), Namespace: job.Namespace, JobID: job.ID,
		TaskGroup: "g", Name: structs.AllocName(job.ID, "g", index), NodeID: node,
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		CreateTime: planNow.Add(-age).UnixNano(),
	}
	if runFor >= 0 {
		a.ClientStatus = structs.AllocClientStatusRunning
		a.TaskStates = map[string]*structs.TaskState{"t": {State: structs.TaskStateRunning, StartedAt: planNow.Add(-runFor)}}
	}
	return a
}

func drainingNode(id string, deadline time.Duration, startedAgo time.Duration) *structs.Node {
	return &structs.Node{ID: id, DrainStrategy: structs.NewDrainStrategy(structs.DrainSpec{Deadline: deadline}, planNow.Add(-startedAgo))}
}

func planMigrate(maxParallel int, minHealthy, deadline time.Duration) *structs.MigrateStrategy {
	return &structs.MigrateStrategy{MaxParallel: maxParallel, HealthCheck: structs.MigrateHealthTaskStates,
		MinHealthyTime: minHealthy, HealthyDeadline: deadline}
}

// TestPlanDrain checks the drainer's decisions: how many allocations of a
// group migrate at once, when health lets the next go, what the deadline
// forces, and when a drain is complete.
func TestPlanDrain(t *testing.T) {
	const hour = time.Hour
	m1 := planMigrate(1, 10*time.Second, 5*time.Minute)
	svc := planJob("web", structs.JobTypeService, 4, m1)
	svc2 := planJob("web", structs.JobTypeService, 4, planMigrate(2, 10*time.Second, 5*time.Minute))
	batch := planJob("crunch", structs.JobTypeBatch, 2, nil)
	sys := planJob("sys", jobTypeSystem, 1, nil)
	marked := func(a *structs.Allocation) *structs.Allocation {
		yes := true
		a.DesiredTransition.Migrate = &yes
		return a
	}
	stopped := func(a *structs.Allocation) *structs.Allocation {
		a.DesiredStatus = structs.AllocDesiredStatusStop
		return a
	}
	a, b := drainingNode("a", hour, time.Minute), &structs.Node{ID: "b"}
	tests := []struct {
		name     string
		world    drainWorld
		migrate  []string
		forced   int
		done     []string
		wakeFrom time.Duration // wake expected at planNow + wakeFrom; 0 = none
	}{
		{
			name: "max_parallel 1 marks one of two",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				planAlloc(svc, 0, "a", hour, hour), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour)}},
			migrate: []string{"web-0-a"}, wakeFrom: 59 * time.Minute,
		},
		{
			name: "max_parallel 2 marks two",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc2}, allocs: []*structs.Allocation{
				planAlloc(svc2, 0, "a", hour, hour), planAlloc(svc2, 1, "a", hour, hour),
				planAlloc(svc2, 2, "b", hour, hour), planAlloc(svc2, 3, "b", hour, hour)}},
			migrate: []string{"web-0-a", "web-1-a"}, wakeFrom: 59 * time.Minute,
		},
		{
			name: "a replacement not yet healthy holds the next back",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				stopped(marked(planAlloc(svc, 0, "a", hour, hour))), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour),
				planAlloc(svc, 0, "b", 5*time.Second, 4*time.Second)}},
			wakeFrom: 6 * time.Second,
		},
		{
			name: "a pending replacement holds the next back until its healthy deadline",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				stopped(marked(planAlloc(svc, 0, "a", hour, hour))), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour),
				planAlloc(svc, 0, "b", time.Minute, -1)}},
			wakeFrom: 4 * time.Minute,
		},
		{
			name: "a replacement past its healthy deadline lets the next go",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				stopped(marked(planAlloc(svc, 0, "a", hour, hour))), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour),
				planAlloc(svc, 0, "b", 6*time.Minute, -1)}},
			migrate: []string{"web-1-a"}, wakeFrom: 59 * time.Minute,
		},
		{
			name: "a healthy replacement lets the next go",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				stopped(marked(planAlloc(svc, 0, "a", hour, hour))), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour),
				planAlloc(svc, 0, "b", 20*time.Second, 11*time.Second)}},
			migrate: []string{"web-1-a"}, wakeFrom: 59 * time.Minute,
		},
		{
			name: "a marked allocation not yet stopped is neither counted nor marked again",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc}, allocs: []*structs.Allocation{
				marked(planAlloc(svc, 0, "a", hour, hour)), planAlloc(svc, 1, "a", hour, hour),
				planAlloc(svc, 2, "b", hour, hour), planAlloc(svc, 3, "b", hour, hour)}},
			wakeFrom: 59 * time.Minute,
		},
		{
			name: "max_parallel 0 waits for the deadline",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{planJob("web", structs.JobTypeService, 2, planMigrate(0, 0, time.Minute))},
				allocs: []*structs.Allocation{planAlloc(svc, 0, "a", hour, hour), planAlloc(svc, 1, "b", hour, hour)}},
			wakeFrom: 59 * time.Minute,
		},
		{
			name: "batch allocations are left to finish before the deadline",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{batch},
				allocs: []*structs.Allocation{planAlloc(batch, 0, "a", hour, hour)}},
			wakeFrom: 59 * time.Minute,
		},
		{
			name: "the deadline forces everything left, batch included",
			world: drainWorld{nodes: []*structs.Node{drainingNode("a", time.Minute, 2*time.Minute), b}, jobs: []*structs.Job{svc, batch},
				allocs: []*structs.Allocation{
					planAlloc(svc, 0, "a", hour, hour), planAlloc(svc, 1, "a", hour, hour), marked(planAlloc(svc, 2, "a", hour, hour)),
					planAlloc(batch, 0, "a", hour, hour), planAlloc(svc, 3, "b", hour, hour)}},
			migrate: []string{"crunch-0-a", "web-0-a", "web-1-a"}, forced: 3,
		},
		{
			name: "force stops everything at once",
			world: drainWorld{nodes: []*structs.Node{drainingNode("a", -1, 0), b}, jobs: []*structs.Job{svc},
				allocs: []*structs.Allocation{planAlloc(svc, 0, "a", hour, hour), planAlloc(svc, 1, "a", hour, hour)}},
			migrate: []string{"web-0-a", "web-1-a"}, forced: 2,
		},
		{
			name: "no deadline: no wake for it",
			world: drainWorld{nodes: []*structs.Node{drainingNode("a", 0, time.Minute), b}, jobs: []*structs.Job{batch},
				allocs: []*structs.Allocation{planAlloc(batch, 0, "a", hour, hour)}},
		},
		{
			name: "allocations of a job that is gone leave at once",
			world: drainWorld{nodes: []*structs.Node{a, b}, allocs: []*structs.Allocation{
				planAlloc(svc, 0, "a", hour, hour), planAlloc(svc, 1, "a", hour, hour)}},
			migrate: []string{"web-0-a", "web-1-a"}, wakeFrom: 59 * time.Minute,
		},
		{
			name: "nothing left: done",
			world: drainWorld{nodes: []*structs.Node{a, b}, jobs: []*structs.Job{svc},
				allocs: []*structs.Allocation{stopped(planAlloc(svc, 0, "a", hour, hour)), planAlloc(svc, 1, "b", hour, hour)}},
			done: []string{"a"},
		},
		{
			name: "system allocations ignored: done",
			world: drainWorld{nodes: []*structs.Node{{ID: "a", DrainStrategy: structs.NewDrainStrategy(
				structs.DrainSpec{Deadline: hour, IgnoreSystemJobs: true}, planNow)}}, jobs: []*structs.Job{sys},
				allocs: []*structs.Allocation{planAlloc(sys, 0, "a", hour, hour)}},
			done: []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planDrain(&tt.world, planNow)
			var got []string
			forced := 0
			for _, ids := range p.migrate {
				got = append(got, ids...)
			}
			for _, n := range p.forced {
				forced += n
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.migrate) || forced != tt.forced {
				t.Errorf("marked %v (forced %d), want %v (forced %d)", got, forced, tt.migrate, tt.forced)
			}
			var done []string
			for _, n := range p.done {
				done = append(done, n.ID)
			}
			if !slices.Equal(done, tt.done) {
				t.Errorf("done %v, want %v", done, tt.done)
			}
			var want time.Time
			if tt.wakeFrom != 0 {
				want = planNow.Add(tt.wakeFrom)
			}
			if !p.wake.Equal(want) {
				t.Errorf("wake at %v, want %v", p.wake, want)
			}
		})
	}
}

// TestMigrateHealthChecks: with health_check "checks" an allocation is
// healthy only once every service the group declares is registered and
// passing.
func TestMigrateHealthChecks(t *testing.T) {
	m := planMigrate(1, 0, time.Minute)
	m.HealthCheck = structs.MigrateHealthChecks
	job := planJob("web", structs.JobTypeService, 1, m)
	job.TaskGroups[0].Services = []*structs.Service{{Name: "web"}}
	a := planAlloc(job, 0, "b", 10*time.Second, 5*time.Second)
	reg := func(status string) *structs.ServiceRegistration {
		return &structs.ServiceRegistration{AllocID: a.ID, Checks: []*structs.CheckStatus{{Status: status}}}
	}
	tests := []struct {
		name string
		regs []*structs.ServiceRegistration
		want bool
	}{
		{"not registered", nil, false},
		{"critical", []*structs.ServiceRegistration{reg(structs.HealthCritical)}, false},
		{"passing", []*structs.ServiceRegistration{reg(structs.HealthPassing)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &drainWorld{regs: tt.regs}
			if got, _ := migrateHealth(w, job.TaskGroups[0], m, a, planNow); got != tt.want {
				t.Errorf("healthy %v, want %v", got, tt.want)
			}
		})
	}
}
