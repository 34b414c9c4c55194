package taskrunner

import (
	"context"
	"sync"
	"testing"

	"github.com/wharf-project/wharf/internal/client/services"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeRegistrar records the workloads registered and deregistered.
type fakeRegistrar struct {
	mu         sync.Mutex
	registered []*services.Workload
	deregs     int
}

func (f *fakeRegistrar) RegisterWorkload(_ context.Context, w *services.Workload) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registered = append(f.registered, w)
	return nil
}

func (f *fakeRegistrar) DeregisterWorkload(*services.Workload) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deregs++
}

func (f *fakeRegistrar) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.registered), f.deregs
}

func (f *fakeRegistrar) last() *services.Workload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registered[len(f.registered)-1]
}

func newServicesRunner(h *harness, reg ServiceRegistrar) *TaskRunner {
	h.t.Helper()
	tr, err := New(Config{Alloc: h.alloc, Task: h.alloc.Job.TaskGroups[0].Tasks[0], AllocDir: h.dir, DB: h.db,
		Driver: h.driver, Logger: h.tr.cfg.Logger, Region: "global", Services: reg,
		Node: func() *structs.Node { return &structs.Node{ID: "n1", Datacenter: "dc1"} }})
	if err != nil {
		h.t.Fatal(err)
	}
	return tr
}

func TestServicesHookRegistersAndDeregisters(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, nil)
	reg := &fakeRegistrar{}
	tr := newServicesRunner(h, reg)
	h.run(tr)
	h.waitState(tr, structs.TaskStateRunning)
	waitFor(t, "registration", func() bool { n, _ := reg.counts(); return n == 1 })
	w := reg.last()
	if w.TaskID != tr.TaskID() || w.Driver == nil || w.Node.ID != "n1" || w.Interpolate("${NOMAD_TASK_NAME}") != "web" {
		t.Errorf("workload %+v", w)
	}
	if err := tr.Kill(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, d := reg.counts(); d == 0 {
		t.Error("not deregistered on kill")
	}
}

func TestServicesHookDeregistersOnExit(t *testing.T) {
	h := newHarness(t, structs.JobTypeBatch, map[string]any{"run_for": "10ms"})
	reg := &fakeRegistrar{}
	tr := newServicesRunner(h, reg)
	h.run(tr)
	h.waitDone(tr)
	if n, d := reg.counts(); n != 1 || d != 1 {
		t.Errorf("registered %d, deregistered %d; want 1 and 1", n, d)
	}
}

// TestCheckRestartRestartsTask: a check's restart goes through the task
// runner's restart, with a Restart Signaled event naming the check, and
// the task registers again when it runs again.
func TestCheckRestartRestartsTask(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, nil)
	reg := &fakeRegistrar{}
	tr := newServicesRunner(h, reg)
	h.run(tr)
	h.waitState(tr, structs.TaskStateRunning)
	waitFor(t, "registration", func() bool { n, _ := reg.counts(); return n == 1 })
	e := services.RestartSignaledEvent(`healthcheck: check "alive" unhealthy`)
	if err := reg.last().Target.RestartUnhealthy(e); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "registered again after the restart", func() bool { n, d := reg.counts(); return n == 2 && d >= 1 })
	st := tr.State()
	if st.Restarts != 1 || count(st, TaskRestartSignal) != 1 {
		t.Fatalf("restarts %d, events %s", st.Restarts, eventTypes(st))
	}
	for _, ev := range st.Events {
		if ev.Type == TaskRestartSignal && ev.DisplayMessage != `healthcheck: check "alive" unhealthy` {
			t.Errorf("event message %q", ev.DisplayMessage)
		}
	}
}
