package taskrunner

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestRecoverReattaches(t *testing.T) {
	h := newHarness(t, "service", nil)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	h.cancel()
	h.waitDone(h.tr)

	tr := h.newRunner(h.driver) // same driver value: the task kept running
	if err := tr.Restore(); err != nil {
		t.Fatal(err)
	}
	h.run(tr)
	waitFor(t, "re-attached handle", func() bool { return tr.Handle() != nil })
	st := tr.State()
	if st.State != structs.TaskStateRunning || count(st, structs.TaskStarted) != 1 || count(st, structs.TaskReceived) != 1 {
		t.Fatalf("after recovery: %s %s", st.State, eventTypes(st))
	}
	if n := len(h.driver.Tasks()); n != 1 {
		t.Fatalf("%d driver tasks", n)
	}
}

func TestRecoverLostTaskRestarts(t *testing.T) {
	h := newHarness(t, "service", nil)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	h.cancel()
	h.waitDone(h.tr)

	other := fake.New() // a new driver knows nothing of the task
	tr := h.newRunner(other)
	if err := tr.Restore(); err != nil {
		t.Fatal(err)
	}
	h.run(tr)
	waitFor(t, "restarted task", func() bool { return count(tr.State(), structs.TaskStarted) == 2 })
	st := tr.State()
	var lost *structs.TaskEvent
	for _, e := range st.Events {
		if e.Type == structs.TaskDriverFailure {
			lost = e
		}
	}
	if lost == nil || !strings.HasPrefix(lost.DriverError, LostPrefix) || !strings.Contains(lost.DriverError, "task not found") {
		t.Fatalf("lost event %+v in %s", lost, eventTypes(st))
	}
	if st.Restarts != 1 || len(other.Tasks()) != 1 {
		t.Fatalf("restarts %d, tasks on new driver %v", st.Restarts, other.Tasks())
	}
}

func TestRestoreDeadTaskDoesNothing(t *testing.T) {
	h := newHarness(t, "batch", map[string]any{"run_for": "1ms"})
	h.run(h.tr)
	h.waitDone(h.tr)
	tr := h.newRunner(h.driver)
	if err := tr.Restore(); err != nil {
		t.Fatal(err)
	}
	h.run(tr)
	h.waitDone(tr)
	if st := tr.State(); st.State != structs.TaskStateDead || count(st, structs.TaskStarted) != 1 {
		t.Fatalf("restored dead task: %s %s", st.State, eventTypes(st))
	}
}
