package taskrunner

import (
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestDriverStartRunning(t *testing.T) {
	h := newHarness(t, "service", nil)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	st := h.tr.State()
	if got := eventTypes(st); got != "Received,Task Setup,Started" {
		t.Fatalf("events %s", got)
	}
	if st.StartedAt.IsZero() {
		t.Error("StartedAt not set")
	}
	stored, err := h.db.TaskHandle(h.alloc.ID, "web")
	if err != nil || stored == nil || stored.Config.ID != h.alloc.ID+"/web" {
		t.Fatalf("persisted handle: %+v, %v", stored, err)
	}
	if stored.Config.Env["GREETING"] != "hello web" {
		t.Errorf("handle env: %v", stored.Config.Env)
	}
	if got := h.driver.Tasks(); len(got) != 1 {
		t.Fatalf("driver tasks %v", got)
	}
}

func TestDriverStartFailure(t *testing.T) {
	const msg = `exec: "nginx": executable file not found in $PATH`
	h := newHarness(t, "batch", map[string]any{"start_error": msg})
	h.run(h.tr)
	h.waitDone(h.tr)
	st := h.tr.State()
	if st.State != structs.TaskStateDead || !st.Failed {
		t.Fatalf("state %s failed %v", st.State, st.Failed)
	}
	if n := count(st, structs.TaskDriverFailure); n != 3 {
		t.Fatalf("%d Driver Failure events (want 3: one per attempt): %s", n, eventTypes(st))
	}
	for _, e := range st.Events {
		if e.Type == structs.TaskDriverFailure && (e.DriverError != msg || e.DisplayMessage != msg) {
			t.Fatalf("driver error not verbatim: %+v", e)
		}
	}
	if st.Events[len(st.Events)-1].Type != structs.TaskNotRestarting {
		t.Fatalf("last event %s", eventTypes(st))
	}
}

func TestDriverMissing(t *testing.T) {
	h := newHarness(t, "batch", nil)
	tr := h.newRunner(nil)
	h.run(tr)
	h.waitDone(tr)
	st := tr.State()
	if !st.Failed || count(st, structs.TaskDriverFailure) == 0 {
		t.Fatalf("events %s", eventTypes(st))
	}
	for _, e := range st.Events {
		if e.Type == structs.TaskDriverFailure && e.DriverError != `driver "fake" is not available on this node` {
			t.Fatalf("driver error %q", e.DriverError)
		}
	}
}

// TestDriverStartAdoptsOrphan: an agent died after the driver started the
// task but before the handle was saved; the next runner adopts the running
// copy instead of starting a second one.
func TestDriverStartAdoptsOrphan(t *testing.T) {
	h := newHarness(t, "service", nil)
	orphan := &drivers.TaskConfig{ID: h.alloc.ID + "/web", AllocID: h.alloc.ID, TaskName: "web", Config: map[string]any{}}
	if _, err := h.driver.StartTask(t.Context(), orphan); err != nil {
		t.Fatal(err)
	}
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	if got := h.driver.Tasks(); len(got) != 1 {
		t.Fatalf("driver holds %d copies of the task, want 1 (adopted)", len(got))
	}
	if stored, err := h.db.TaskHandle(h.alloc.ID, "web"); err != nil || stored == nil {
		t.Fatalf("adopted task's handle not saved: %v", err)
	}
}
