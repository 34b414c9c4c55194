package client

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestServiceJobRunsAllocs(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := fake.New()
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, nil)
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 2, nil))
	allocs := ts.waitAllocs("web", 2, structs.AllocClientStatusRunning)
	for _, a := range allocs {
		waitFor(t, "task events", func() bool {
			cur := ts.store.Snapshot().Alloc(a.ID)
			return eventTypes(cur.TaskStates["web"]) == "Received,Task Setup,Started"
		})
		cur := ts.store.Snapshot().Alloc(a.ID)
		if cur.ClientDescription != "Tasks are running" || cur.TaskStates["web"].State != structs.TaskStateRunning {
			t.Fatalf("alloc %s: %q %s", a.ID, cur.ClientDescription, cur.TaskStates["web"].State)
		}
		h := c.AllocRunner(a.ID).Tasks()[0].Handle()
		port := a.AllocatedResources.Shared.Ports[0]
		if want := net.JoinHostPort(port.HostIP, "80"); h.Config.Env["LISTEN"] != want {
			t.Errorf("LISTEN = %q, want %q", h.Config.Env["LISTEN"], want)
		}
	}
	if n := len(d.Tasks()); n != 2 {
		t.Fatalf("driver runs %d tasks", n)
	}
	node := ts.store.Snapshot().Node(c.NodeID())
	if node.Attributes["driver.fake"] != "1" || node.Attributes["kernel.name"] == "" || !node.Drivers["fake"].Healthy {
		t.Fatalf("node attributes %v drivers %v", node.Attributes, node.Drivers)
	}
}

func TestBatchJobCompletes(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := fake.New()
	startClient(t, []string{ts.http.URL}, t.TempDir(), d, nil).waitRegistered(t)
	job := testJob("once", structs.JobTypeBatch, 1, map[string]any{"run_for": "10ms", "exit_code": 0})
	job.TaskGroups[0].RestartPolicy.Attempts = 3
	job.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: runtime.GOOS, Operand: "="}}
	ts.register(job)
	a := ts.waitAllocs("once", 1, structs.AllocClientStatusComplete)[0]
	st := a.TaskStates["web"]
	if got := eventTypes(st); got != "Received,Task Setup,Started,Terminated" {
		t.Fatalf("events %s", got)
	}
	if st.Restarts != 0 || st.Failed || st.State != structs.TaskStateDead || a.ClientDescription != "All tasks have completed" {
		t.Fatalf("state %+v, description %q", st, a.ClientDescription)
	}
	if len(d.Tasks()) != 0 {
		t.Fatalf("completed task not released: %v", d.Tasks())
	}
}

func TestFailingTaskExhaustsRestarts(t *testing.T) {
	ts := startServer(t, nil, nil)
	startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), nil).waitRegistered(t)
	job := testJob("flaky", structs.JobTypeService, 1, map[string]any{"run_for": "1ms", "exit_code": 1})
	job.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: "fail"}
	ts.register(job)
	a := ts.waitAllocs("flaky", 1, structs.AllocClientStatusFailed)[0]
	st := a.TaskStates["web"]
	if n := countEvents(st, structs.TaskRestarting); n != 2 {
		t.Fatalf("%d Restarting events: %s", n, eventTypes(st))
	}
	last := st.Events[len(st.Events)-1]
	if last.Type != structs.TaskNotRestarting || !strings.HasPrefix(last.DisplayMessage, "Exceeded allowed attempts 2 in interval") {
		t.Fatalf("last event %+v", last)
	}
	if !st.Failed || st.Restarts != 2 || a.ClientDescription != "Failed tasks" {
		t.Fatalf("state %+v, description %q", st, a.ClientDescription)
	}
}

func TestJobStopKillsTasks(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := fake.New()
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, nil)
	c.waitRegistered(t)
	ts.register(testJob("stopme", structs.JobTypeService, 1, nil))
	a := ts.waitAllocs("stopme", 1, structs.AllocClientStatusRunning)[0]
	if _, err := ts.api.Jobs().Deregister("stopme", false); err != nil {
		t.Fatal(err)
	}
	a = ts.waitAllocs("stopme", 1, structs.AllocClientStatusComplete)[0]
	waitFor(t, "Killed event", func() bool {
		return countEvents(ts.store.Snapshot().Alloc(a.ID).TaskStates["web"], structs.TaskKilled) == 1
	})
	st := ts.store.Snapshot().Alloc(a.ID).TaskStates["web"]
	if got := eventTypes(st); got != "Received,Task Setup,Started,Killing,Terminated,Killed" {
		t.Fatalf("events %s", got)
	}
	if len(d.Tasks()) != 0 {
		t.Fatalf("driver still runs %v", d.Tasks())
	}
	waitFor(t, "runner destroyed", func() bool {
		ar := c.AllocRunner(a.ID)
		return ar == nil || ar.IsDestroyed()
	})
	if allocs, _ := c.db.Allocs(); len(allocs) != 0 {
		t.Fatalf("state of the stopped alloc kept: %d allocs", len(allocs))
	}
}

func TestRecoveryAfterClientRestart(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := fake.New()
	dir := t.TempDir()
	c1 := startClient(t, []string{ts.http.URL}, dir, d, nil)
	c1.waitRegistered(t)
	ts.register(testJob("durable", structs.JobTypeService, 1, nil))
	a := ts.waitAllocs("durable", 1, structs.AllocClientStatusRunning)[0]
	nodeID := c1.NodeID()
	c1.stop()
	if got := d.Tasks(); len(got) != 1 {
		t.Fatalf("agent stop changed the tasks: %v", got)
	}

	c2 := startClient(t, []string{ts.http.URL}, dir, d, nil)
	if c2.NodeID() != nodeID {
		t.Fatalf("node ID changed across restart: %s -> %s", nodeID, c2.NodeID())
	}
	waitFor(t, "restored runner", func() bool {
		ar := c2.AllocRunner(a.ID)
		return ar != nil && ar.Tasks()[0].Handle() != nil
	})
	<-c2.Registered()
	st := c2.AllocRunner(a.ID).Alloc().TaskStates["web"]
	if st.State != structs.TaskStateRunning || countEvents(st, structs.TaskStarted) != 1 || countEvents(st, structs.TaskDriverFailure) != 0 {
		t.Fatalf("after restart: %s %s", st.State, eventTypes(st))
	}
	if got := d.Tasks(); len(got) != 1 {
		t.Fatalf("driver tasks after restart: %v", got)
	}
	// The recovered task is still under control: stopping the job kills it.
	if _, err := ts.api.Jobs().Deregister("durable", false); err != nil {
		t.Fatal(err)
	}
	ts.waitAllocs("durable", 1, structs.AllocClientStatusComplete)
	waitFor(t, "recovered task killed", func() bool { return len(d.Tasks()) == 0 })
}

func TestLostTaskIsRestartedAfterClientRestart(t *testing.T) {
	ts := startServer(t, nil, nil)
	dir := t.TempDir()
	c1 := startClient(t, []string{ts.http.URL}, dir, fake.New(), nil)
	c1.waitRegistered(t)
	job := testJob("phoenix", structs.JobTypeService, 1, nil)
	job.TaskGroups[0].RestartPolicy.Attempts = 1
	ts.register(job)
	a := ts.waitAllocs("phoenix", 1, structs.AllocClientStatusRunning)[0]
	c1.stop()

	d2 := fake.New() // a new driver: the task did not survive
	c2 := startClient(t, []string{ts.http.URL}, dir, d2, nil)
	waitFor(t, "task restarted", func() bool {
		ar := c2.AllocRunner(a.ID)
		return ar != nil && countEvents(ar.Alloc().TaskStates["web"], structs.TaskStarted) == 2
	})
	st := c2.AllocRunner(a.ID).Alloc().TaskStates["web"]
	found := false
	for _, e := range st.Events {
		found = found || (e.Type == structs.TaskDriverFailure && strings.HasPrefix(e.DriverError, "task was lost while the agent was down: "))
	}
	if !found || st.Restarts != 1 || len(d2.Tasks()) != 1 {
		t.Fatalf("events %s restarts %d tasks %v", eventTypes(st), st.Restarts, d2.Tasks())
	}
}

func TestServerUnreachableAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := startClient(t, []string{addr}, t.TempDir(), fake.New(), nil)
	waitFor(t, "retry log", func() bool { return strings.Contains(c.logs.String(), "no server reachable at "+addr+", retrying in") })

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	ts := startServer(t, ln, nil)
	c.waitRegistered(t)
	if ts.store.Snapshot().Node(c.NodeID()) == nil {
		t.Fatal("node not stored")
	}
	c.stop() // before the server's cleanup, which waits for open connections
}

func TestFailoverToSecondServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	ts := startServer(t, nil, nil)
	c := startClient(t, []string{dead, ts.http.URL}, t.TempDir(), fake.New(), nil)
	c.waitRegistered(t)
	ts.register(testJob("fo", structs.JobTypeService, 1, nil))
	ts.waitAllocs("fo", 1, structs.AllocClientStatusRunning)
}

func TestHeartbeatAndReregisterAfterNodeLoss(t *testing.T) {
	ts := startServer(t, nil, func(c *server.Config) {
		c.MinHeartbeatTTL = 50 * time.Millisecond
		c.HeartbeatGrace = 5 * time.Second
	})
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), nil)
	c.waitRegistered(t)
	hb := "PUT /v1/node/" + c.NodeID() + "/heartbeat"
	waitFor(t, "three heartbeats", func() bool { return ts.hitCount(hb) >= 3 })
	if _, err := ts.store.DeleteNode(t.Context(), c.NodeID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node registered again", func() bool { return ts.store.Snapshot().Node(c.NodeID()) != nil })
	if !strings.Contains(c.logs.String(), "servers do not know the node or its secret; registering again") {
		t.Fatalf("no re-registration logged:\n%s", c.logs.String())
	}
}

func TestKillAll(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := fake.New()
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, nil)
	c.waitRegistered(t)
	ts.register(testJob("many", structs.JobTypeService, 3, nil))
	ts.waitAllocs("many", 3, structs.AllocClientStatusRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.KillAll(ctx); err != nil {
		t.Fatal(err)
	}
	if len(d.Tasks()) != 0 {
		t.Fatalf("tasks left: %v", d.Tasks())
	}
	c.stop()
	ts.waitAllocs("many", 3, structs.AllocClientStatusComplete) // the final flush reached the server
}
