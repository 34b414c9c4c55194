package harness

import (
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
)

// SleepJob returns a service job of count raw_exec tasks that sleep, in
// datacenter dc1 (where every client is), for tests that need running
// allocations.
func SleepJob(id string, count int) *nomadapi.Job {
	return RawExecJob(id, "service", count, "/bin/sh", "-c", "exec sleep 3600")
}

// RawExecJob returns a job of the given type with one group of count
// raw_exec tasks called "t" running command with args.
func RawExecJob(id, typ string, count int, command string, args ...string) *nomadapi.Job {
	job := nomadapi.NewServiceJob(id, id, "global", 50)
	job.Type = &typ
	job.Datacenters = []string{"dc1"}
	task := nomadapi.NewTask("t", "raw_exec")
	task.Config = map[string]any{"command": command, "args": args}
	task.Resources = &nomadapi.Resources{CPU: intPtr(20), MemoryMB: intPtr(32)}
	group := nomadapi.NewTaskGroup("g", count).AddTask(task)
	if typ == "service" {
		// Fail over promptly in tests: replace a lost allocation at once.
		group.ReschedulePolicy = &nomadapi.ReschedulePolicy{Unlimited: boolPtr(true),
			Delay: durPtr(time.Second), DelayFunction: strPtr("constant")}
	}
	job.AddTaskGroup(group)
	return job
}

// Register submits job through the agent and returns the evaluation ID.
func (a *Agent) Register(t testing.TB, job *nomadapi.Job) string {
	t.Helper()
	resp, _, err := a.NomadAPI().Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("harness: register %s through %s: %v", *job.ID, a.Name, err)
	}
	return resp.EvalID
}

// RunningAllocs returns the job's allocations that run, as the agent lists
// them (nil when it does not answer).
func (a *Agent) RunningAllocs(jobID string) []*nomadapi.AllocationListStub {
	allocs, _, err := a.NomadAPI().Jobs().Allocations(jobID, false, &nomadapi.QueryOptions{AllowStale: true})
	if err != nil {
		return nil
	}
	var out []*nomadapi.AllocationListStub
	for _, al := range allocs {
		if al.ClientStatus == "running" {
			out = append(out, al)
		}
	}
	return out
}

// WaitRunning waits up to d until the agent lists n running allocations of
// the job, and returns them.
func (c *Cluster) WaitRunning(t testing.TB, a *Agent, jobID string, n int, d time.Duration) []*nomadapi.AllocationListStub {
	t.Helper()
	var allocs []*nomadapi.AllocationListStub
	c.WaitFor(t, d, "running allocations of "+jobID, func() bool {
		allocs = a.RunningAllocs(jobID)
		return len(allocs) == n
	})
	return allocs
}

func intPtr(i int) *int                     { return &i }
func boolPtr(b bool) *bool                  { return &b }
func strPtr(s string) *string               { return &s }
func durPtr(d time.Duration) *time.Duration { return &d }
