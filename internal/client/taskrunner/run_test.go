package taskrunner

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestRunBatchSuccessCompletes(t *testing.T) {
	h := newHarness(t, "batch", map[string]any{"run_for": "5ms", "exit_code": 0})
	h.run(h.tr)
	h.waitDone(h.tr)
	st := h.tr.State()
	if st.State != structs.TaskStateDead || st.Failed || st.Restarts != 0 || st.FinishedAt.IsZero() {
		t.Fatalf("state %+v", st)
	}
	if got := eventTypes(st); got != "Received,Task Setup,Started,Terminated" {
		t.Fatalf("events %s", got)
	}
	if e := st.Events[3]; e.ExitCode != 0 || e.DisplayMessage != "Exit Code: 0" {
		t.Fatalf("terminated event %+v", e)
	}
	if h.tr.Handle() != nil || len(h.driver.Tasks()) != 0 {
		t.Fatal("exited task not released")
	}
	if hd, _ := h.db.TaskHandle(h.alloc.ID, "web"); hd != nil {
		t.Fatal("handle still persisted")
	}
}

func TestRunFailureFollowsRestartPolicy(t *testing.T) {
	h := newHarness(t, "batch", map[string]any{"run_for": "1ms", "exit_code": 1})
	h.run(h.tr)
	h.waitDone(h.tr)
	st := h.tr.State()
	if st.State != structs.TaskStateDead || !st.Failed || st.Restarts != 2 {
		t.Fatalf("state %s failed %v restarts %d", st.State, st.Failed, st.Restarts)
	}
	if n := count(st, structs.TaskRestarting); n != 2 {
		t.Fatalf("%d Restarting events: %s", n, eventTypes(st))
	}
	last := st.Events[len(st.Events)-1]
	if last.Type != structs.TaskNotRestarting || !strings.HasPrefix(last.DisplayMessage, "Exceeded allowed attempts 2 in interval 1m0s") {
		t.Fatalf("last event %+v", last)
	}
	for _, e := range st.Events {
		if e.Type == structs.TaskRestarting && (e.StartDelay <= 0 || !strings.HasPrefix(e.DisplayMessage, "Task restarting in ")) {
			t.Fatalf("restarting event %+v", e)
		}
		if e.Type == structs.TaskTerminated && e.DisplayMessage != "Exit Code: 1" {
			t.Fatalf("terminated event %+v", e)
		}
	}
	if len(st.Events) > MaxEvents {
		t.Fatalf("%d events kept", len(st.Events))
	}
}

func TestRunServiceRestartsAfterSuccess(t *testing.T) {
	h := newHarness(t, "service", map[string]any{"run_for": "1ms"})
	h.run(h.tr)
	h.waitDone(h.tr)
	st := h.tr.State()
	if !st.Failed || st.Restarts != 2 {
		t.Fatalf("service task exiting 0: failed %v restarts %d (%s)", st.Failed, st.Restarts, eventTypes(st))
	}
}

func TestRunStopsOnShutdownAndLeavesTask(t *testing.T) {
	h := newHarness(t, "service", nil)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	h.cancel()
	h.waitDone(h.tr)
	if h.tr.State().State != structs.TaskStateRunning || len(h.driver.Tasks()) != 1 {
		t.Fatalf("shutdown changed the task: %s, driver tasks %v", h.tr.State().State, h.driver.Tasks())
	}
	if hd, _ := h.db.TaskHandle(h.alloc.ID, "web"); hd == nil {
		t.Fatal("handle forgotten at shutdown")
	}
}

func TestUpdateChangesNextStart(t *testing.T) {
	h := newHarness(t, "service", nil)
	a := h.alloc.Copy()
	a.Job = h.alloc.Job.Copy()
	a.Job.TaskGroups[0].Tasks[0].Env = map[string]string{"GREETING": "bye"}
	h.tr.Update(a)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	if got := h.tr.Handle().Config.Env["GREETING"]; got != "bye" {
		t.Fatalf("GREETING = %q after update", got)
	}
}
