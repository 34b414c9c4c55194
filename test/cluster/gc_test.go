package cluster

import (
	"fmt"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestGCOnEveryServer runs finished batch jobs and a service job on 3
// servers and a client, then asks a follower for `PUT /v1/system/gc`
// (it forwards to the leader): every server's index drops the batch jobs,
// their evaluations and allocations, the service job runs on, and a
// follower restarted afterwards loads nothing collected.
func TestGCOnEveryServer(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 1})
	leader := c.Leader(t)
	follower := c.Servers[0]
	if follower == leader {
		follower = c.Servers[1]
	}
	follower.Register(t, harness.SleepJob("svc", 1))
	const n = 20
	for i := range n {
		follower.Register(t, harness.RawExecJob(fmt.Sprintf("batch-%02d", i), "batch", 1, "/bin/true"))
	}
	c.WaitRunning(t, leader, "svc", 1, 30*time.Second)
	c.WaitFor(t, 45*time.Second, "the batch jobs to finish on every server", func() bool {
		for _, s := range c.Servers {
			if deadBatchJobs(s) != n {
				return false
			}
		}
		return true
	})

	if err := follower.NomadAPI().System().GarbageCollect(); err != nil {
		t.Fatalf("system gc through a follower: %v", err)
	}
	c.WaitFor(t, 10*time.Second, "every server to drop the collected objects", func() bool {
		for _, s := range c.Servers {
			if !onlyService(s) {
				return false
			}
		}
		return true
	})
	other := c.Servers[2]
	if other == leader {
		other = c.Servers[0]
		if other == follower {
			other = c.Servers[1]
		}
	}
	other.Restart()
	c.WaitFor(t, 30*time.Second, "the restarted server to answer with nothing collected", func() bool {
		return onlyService(other)
	})
	if got := len(leader.RunningAllocs("svc")); got != 1 {
		t.Fatalf("service job has %d running allocations after the collection", got)
	}
}

// deadBatchJobs counts the dead batch jobs a server lists (-1 when it
// does not answer).
func deadBatchJobs(a *harness.Agent) int {
	jobs, _, err := a.NomadAPI().Jobs().List(&nomadapi.QueryOptions{AllowStale: true})
	if err != nil {
		return -1
	}
	dead := 0
	for _, j := range jobs {
		if j.Type == "batch" && j.Status == "dead" {
			dead++
		}
	}
	return dead
}

// onlyService reports whether the server lists the service job alone,
// with its one evaluation and allocation.
func onlyService(a *harness.Agent) bool {
	q := &nomadapi.QueryOptions{AllowStale: true}
	api := a.NomadAPI()
	jobs, _, err := api.Jobs().List(q)
	if err != nil || len(jobs) != 1 || jobs[0].ID != "svc" {
		return false
	}
	allocs, _, err := api.Allocations().List(q)
	if err != nil || len(allocs) != 1 {
		return false
	}
	evals, _, err := api.Evaluations().List(q)
	return err == nil && len(evals) == 1 && allocs[0].JobID == "svc"
}
