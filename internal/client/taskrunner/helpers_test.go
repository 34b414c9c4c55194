package taskrunner

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// testAlloc returns an allocation of a one-task job of jobType running
// the fake driver with config.
func testAlloc(jobType string, config map[string]any) *structs.Allocation {
	task := &structs.Task{Name: "web", Driver: fake.Name, Config: config,
		Resources: &structs.Resources{CPU: 100, MemoryMB: 64}, KillTimeout: time.Second,
		Env: map[string]string{"GREETING": "hello ${NOMAD_TASK_NAME}"}}
	job := &structs.Job{ID: "job1", Name: "job1", Type: jobType, Namespace: "default", Region: "global",
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{task},
			RestartPolicy: &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: "fail"}}}}
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "job1.g[0]", JobID: "job1", TaskGroup: "g",
		Namespace: "default", Job: job, DesiredStatus: structs.AllocDesiredStatusRun,
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"web": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 100}, Memory: structs.AllocatedMemoryResources{MemoryMB: 64}}},
			Shared: structs.AllocatedSharedResources{Ports: []structs.PortMapping{{Label: "http", Value: 21000, To: 80, HostIP: "127.0.0.1"}}},
		}}
}

// harness is a task runner over a fake driver and an in-memory state db.
type harness struct {
	t      *testing.T
	alloc  *structs.Allocation
	driver *fake.Driver
	db     *state.MemDB
	dir    *allocdir.AllocDir
	tr     *TaskRunner
	cancel context.CancelFunc
}

func newHarness(t *testing.T, jobType string, config map[string]any) *harness {
	t.Helper()
	h := &harness{t: t, alloc: testAlloc(jobType, config), driver: fake.New(), db: state.NewMemDB()}
	h.dir = allocdir.New(t.TempDir(), h.alloc.ID)
	if err := h.dir.Build([]string{"web"}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.PutAlloc(h.alloc); err != nil {
		t.Fatal(err)
	}
	h.tr = h.newRunner(h.driver)
	return h
}

func (h *harness) newRunner(d drivers.Driver) *TaskRunner {
	h.t.Helper()
	cfg := Config{Alloc: h.alloc, Task: h.alloc.Job.TaskGroups[0].Tasks[0], AllocDir: h.dir, DB: h.db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "global",
		Node: func() *structs.Node { return &structs.Node{ID: "n1", Name: "node1", Datacenter: "dc1"} }}
	if d != nil {
		cfg.Driver = d
	}
	tr, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return tr
}

// run starts the runner in the background; the test's end stops it.
func (h *harness) run(tr *TaskRunner) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go tr.Run(ctx)
	h.t.Cleanup(func() {
		cancel()
		<-tr.WaitCh()
	})
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) waitState(tr *TaskRunner, want string) {
	h.t.Helper()
	waitFor(h.t, "task state "+want, func() bool { return tr.State().State == want })
}

func (h *harness) waitDone(tr *TaskRunner) {
	h.t.Helper()
	select {
	case <-tr.WaitCh():
	case <-time.After(10 * time.Second):
		h.t.Fatalf("task runner did not finish; events %s", eventTypes(tr.State()))
	}
}

// eventTypes lists a state's event types, comma-separated.
func eventTypes(st *structs.TaskState) string {
	var out []string
	for _, e := range st.Events {
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}

// count returns how many events of type typ the state has.
func count(st *structs.TaskState, typ string) int {
	n := 0
	for _, e := range st.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}
