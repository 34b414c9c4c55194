package taskrunner

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestKillRunningTask(t *testing.T) {
	h := newHarness(t, "service", nil)
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.tr.Kill(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st := h.tr.State()
	if got := eventTypes(st); got != "Received,Task Setup,Started,Killing,Terminated,Killed" {
		t.Fatalf("events %s", got)
	}
	if st.State != structs.TaskStateDead || st.Failed {
		t.Fatalf("state %s failed %v", st.State, st.Failed)
	}
	killing := st.Events[3]
	if killing.KillTimeout != time.Second || killing.DisplayMessage != "Sent interrupt. Waiting 1s before force killing" {
		t.Fatalf("killing event %+v", killing)
	}
	if term := st.Events[4]; term.Signal == 0 {
		t.Fatalf("terminated event without signal: %+v", term)
	}
	if len(h.driver.Tasks()) != 0 {
		t.Fatal("killed task not destroyed")
	}
}

func TestKillDuringRestartDelay(t *testing.T) {
	h := newHarness(t, "service", map[string]any{"run_for": "1ms"})
	h.alloc.Job.TaskGroups[0].RestartPolicy.Delay = time.Hour
	tr := h.newRunner(h.driver)
	h.run(tr)
	waitFor(t, "restarting", func() bool { return count(tr.State(), structs.TaskRestarting) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Kill(ctx, SiblingFailedEvent("db")); err != nil {
		t.Fatal(err)
	}
	st := tr.State()
	if st.State != structs.TaskStateDead || count(st, structs.TaskSiblingFailed) != 1 || st.Events[len(st.Events)-1].Type != structs.TaskKilled {
		t.Fatalf("events %s", eventTypes(st))
	}
}

func TestKillBeforeRun(t *testing.T) {
	h := newHarness(t, "service", nil)
	done := make(chan error, 1)
	go func() { done <- h.tr.Kill(context.Background(), nil) }()
	waitFor(t, "kill event", func() bool { return count(h.tr.State(), structs.TaskKilling) == 1 })
	h.run(h.tr)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := eventTypes(h.tr.State()); got != "Received,Killing,Killed" {
		t.Fatalf("events %s", got)
	}
	if len(h.driver.Tasks()) != 0 {
		t.Fatal("killed task was started")
	}
}

func TestKillDeadTaskIsNoop(t *testing.T) {
	h := newHarness(t, "batch", map[string]any{"run_for": "1ms"})
	h.run(h.tr)
	h.waitDone(h.tr)
	before := eventTypes(h.tr.State())
	if err := h.tr.Kill(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if after := eventTypes(h.tr.State()); after != before {
		t.Fatalf("events changed from %s to %s", before, after)
	}
}

func TestKillHonoursSignalAndTimeout(t *testing.T) {
	h := newHarness(t, "service", map[string]any{"ignore_signals": true})
	task := h.alloc.Job.TaskGroups[0].Tasks[0]
	task.KillTimeout, task.KillSignal = 20*time.Millisecond, "SIGINT"
	tr := h.newRunner(h.driver)
	h.run(tr)
	h.waitState(tr, structs.TaskStateRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Kill(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st := tr.State()
	var term *structs.TaskEvent
	for _, e := range st.Events {
		if e.Type == structs.TaskTerminated {
			term = e
		}
	}
	if term == nil || term.Signal != int(syscall.SIGKILL) {
		t.Fatalf("task ignoring its kill signal was not force killed: %s %+v", eventTypes(st), term)
	}
	if st.Events[len(st.Events)-1].Type != structs.TaskKilled {
		t.Fatalf("events %s", eventTypes(st))
	}
}
