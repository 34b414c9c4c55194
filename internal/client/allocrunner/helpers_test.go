package allocrunner

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// testAlloc returns an allocation of a service job whose group runs the
// given tasks on the fake driver, with no restarts.
func testAlloc(tasks ...*structs.Task) *structs.Allocation {
	for _, t := range tasks {
		t.Driver = fake.Name
		t.KillTimeout = time.Second
	}
	job := &structs.Job{ID: "job1", Name: "job1", Type: structs.JobTypeService, Namespace: "default",
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: tasks,
			RestartPolicy: &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: "fail"}}}}
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "job1.g[0]", JobID: "job1", TaskGroup: "g",
		Namespace: "default", Job: job, DesiredStatus: structs.AllocDesiredStatusRun, AllocModifyIndex: 10}
}

// recorder keeps the updates an alloc runner reports.
type recorder struct {
	mu      sync.Mutex
	updates []*structs.Allocation
}

func (r *recorder) record(a *structs.Allocation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, a)
}

func (r *recorder) last() *structs.Allocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		return nil
	}
	return r.updates[len(r.updates)-1]
}

type harness struct {
	t      *testing.T
	root   string
	db     *state.MemDB
	driver *fake.Driver
	rec    *recorder
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, root: t.TempDir(), db: state.NewMemDB(), driver: fake.New(), rec: &recorder{}}
}

func (h *harness) newRunner(a *structs.Allocation) *AllocRunner {
	h.t.Helper()
	ar, err := New(Config{Alloc: a, DB: h.db, Drivers: map[string]drivers.Driver{fake.Name: h.driver},
		AllocRoot: h.root, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "global",
		Node: func() *structs.Node { return &structs.Node{ID: "n1", Datacenter: "dc1"} }, OnUpdate: h.rec.record})
	if err != nil {
		h.t.Fatal(err)
	}
	return ar
}

// run runs ar in the background and returns the function that stops it
// (as an agent shutdown does); the test's end calls it too.
func (h *harness) run(ar *AllocRunner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	go ar.Run(ctx)
	stop = func() {
		cancel()
		<-ar.WaitCh()
	}
	h.t.Cleanup(stop)
	return stop
}

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

func (h *harness) waitStatus(ar *AllocRunner, status string) *structs.Allocation {
	h.t.Helper()
	waitFor(h.t, "client status "+status, func() bool {
		last := h.rec.last()
		return last != nil && last.ClientStatus == status
	})
	return h.rec.last()
}

func eventTypes(st *structs.TaskState) string {
	var out []string
	for _, e := range st.Events {
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}
