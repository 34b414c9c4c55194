package taskrunner

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestEventDisplayMessages(t *testing.T) {
	tests := []struct {
		ev      *structs.TaskEvent
		typ     string
		display string
	}{
		{ReceivedEvent(), structs.TaskReceived, "Task received by client"},
		{SetupEvent(), structs.TaskSetup, "Building Task Directory"},
		{StartedEvent(), structs.TaskStarted, "Task started by client"},
		{TerminatedEvent(&drivers.ExitResult{ExitCode: 1}), structs.TaskTerminated, "Exit Code: 1"},
		{TerminatedEvent(&drivers.ExitResult{Signal: 15}), structs.TaskTerminated, "Exit Code: 0, Signal: 15"},
		{TerminatedEvent(&drivers.ExitResult{ExitCode: 137, OOMKilled: true}), structs.TaskTerminated, `Exit Code: 137, Exit Message: "OOM Killed"`},
		{RestartingEvent(15*time.Second+1234567, "Restart within policy"), structs.TaskRestarting, "Task restarting in 15.001s"},
		{NotRestartingEvent("Policy allows no restarts"), structs.TaskNotRestarting, "Policy allows no restarts"},
		{KillingEvent(5 * time.Second), structs.TaskKilling, "Sent interrupt. Waiting 5s before force killing"},
		{KilledEvent(""), structs.TaskKilled, "Task successfully killed"},
		{KilledEvent("boom"), structs.TaskKilled, "Task killed with error: boom"},
		{SiblingFailedEvent("db"), structs.TaskSiblingFailed, `Task's sibling "db" failed`},
		{DriverFailureEvent(errors.New("pot: image not found")), structs.TaskDriverFailure, "pot: image not found"},
		{SetupFailureEvent(errors.New("bad")), structs.TaskSetupFailure, "bad"},
		{LostEvent(errors.New("supervisor gone")), structs.TaskDriverFailure, LostPrefix + "supervisor gone"},
	}
	for _, tt := range tests {
		if tt.ev.Type != tt.typ || tt.ev.DisplayMessage != tt.display || tt.ev.Time == 0 {
			t.Errorf("%s: got type %q display %q time %d, want %q %q", tt.typ, tt.ev.Type, tt.ev.DisplayMessage, tt.ev.Time, tt.typ, tt.display)
		}
	}
	if e := RestartingEvent(time.Second, "r"); e.StartDelay != int64(time.Second) || e.RestartReason != "r" {
		t.Errorf("restarting fields %+v", e)
	}
	if e := NotRestartingEvent("r"); !e.FailsTask {
		t.Error("Not Restarting does not fail the task")
	}
}

func TestAppendEventKeepsLast(t *testing.T) {
	var evs []*structs.TaskEvent
	for i := range 15 {
		evs = appendEvent(evs, &structs.TaskEvent{Time: int64(i)})
	}
	if len(evs) != MaxEvents || evs[0].Time != 5 || evs[MaxEvents-1].Time != 14 {
		t.Fatalf("kept %d events from %d", len(evs), evs[0].Time)
	}
}
