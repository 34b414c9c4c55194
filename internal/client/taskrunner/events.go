package taskrunner

import (
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// MaxEvents is how many events a task state keeps, as Nomad: the oldest
// are dropped.
const MaxEvents = 10

// LostPrefix starts the message of a task a restarted agent could not
// re-attach to.
const LostPrefix = "task was lost while the agent was down: "

// Event types Nomad has that structs does not name.
const (
	// TaskLeaderDead kills the other tasks when the leader task ends.
	TaskLeaderDead = "Leader Task Dead"
)

func newEvent(typ, display string) *structs.TaskEvent {
	return &structs.TaskEvent{Type: typ, Time: time.Now().UnixNano(), DisplayMessage: display, Details: map[string]string{}}
}

// ReceivedEvent is the first event of a task.
func ReceivedEvent() *structs.TaskEvent {
	return newEvent(structs.TaskReceived, "Task received by client")
}

// SetupEvent starts the building of the task's directory and config.
func SetupEvent() *structs.TaskEvent {
	e := newEvent(structs.TaskSetup, "Building Task Directory")
	e.Message = "Building Task Directory"
	return e
}

// SetupFailureEvent says a prestart hook failed.
func SetupFailureEvent(err error) *structs.TaskEvent {
	e := newEvent(structs.TaskSetupFailure, err.Error())
	e.SetupError = err.Error()
	return e
}

// StartedEvent says the driver started the task.
func StartedEvent() *structs.TaskEvent {
	return newEvent(structs.TaskStarted, "Task started by client")
}

// DriverFailureEvent carries the driver's error verbatim.
func DriverFailureEvent(err error) *structs.TaskEvent {
	e := newEvent(structs.TaskDriverFailure, err.Error())
	e.DriverError = err.Error()
	return e
}

// TerminatedEvent says how the task exited.
func TerminatedEvent(res *drivers.ExitResult) *structs.TaskEvent {
	e := newEvent(structs.TaskTerminated, "")
	if res != nil {
		e.ExitCode, e.Signal = res.ExitCode, res.Signal
		switch {
		case res.OOMKilled:
			e.Message = "OOM Killed"
			e.Details["oom_killed"] = "true"
		case res.Err != nil:
			e.Message = res.Err.Error()
		}
	}
	e.DisplayMessage = fmt.Sprintf("Exit Code: %d", e.ExitCode)
	if e.Signal != 0 {
		e.DisplayMessage += fmt.Sprintf(", Signal: %d", e.Signal)
	}
	if e.Message != "" {
		e.DisplayMessage += fmt.Sprintf(", Exit Message: %q", e.Message)
	}
	e.Details["exit_code"] = fmt.Sprint(e.ExitCode)
	e.Details["signal"] = fmt.Sprint(e.Signal)
	return e
}

// RestartingEvent says the task starts again after delay.
func RestartingEvent(delay time.Duration, reason string) *structs.TaskEvent {
	e := newEvent(structs.TaskRestarting, fmt.Sprintf("Task restarting in %v", delay.Round(time.Millisecond)))
	e.StartDelay = int64(delay)
	e.RestartReason = reason
	e.Details["start_delay"] = fmt.Sprint(int64(delay))
	e.Details["restart_reason"] = reason
	return e
}

// NotRestartingEvent says the task failed for good.
func NotRestartingEvent(reason string) *structs.TaskEvent {
	e := newEvent(structs.TaskNotRestarting, reason)
	e.RestartReason = reason
	e.FailsTask = true
	e.Details["restart_reason"] = reason
	e.Details["fails_task"] = "true"
	return e
}

// KillingEvent is the event of a kill asked by the servers (job stop).
func KillingEvent(timeout time.Duration) *structs.TaskEvent {
	e := newEvent(structs.TaskKilling, fmt.Sprintf("Sent interrupt. Waiting %v before force killing", timeout))
	e.KillTimeout = timeout
	e.Details["kill_timeout"] = timeout.String()
	return e
}

// KilledEvent ends a kill; killErr is empty when it went well.
func KilledEvent(killErr string) *structs.TaskEvent {
	e := newEvent(structs.TaskKilled, "Task successfully killed")
	if killErr != "" {
		e.KillError = killErr
		e.DisplayMessage = "Task killed with error: " + killErr
		e.Details["kill_error"] = killErr
	}
	return e
}

// SiblingFailedEvent kills a task because another task of its allocation
// failed.
func SiblingFailedEvent(sibling string) *structs.TaskEvent {
	e := newEvent(structs.TaskSiblingFailed, fmt.Sprintf("Task's sibling %q failed", sibling))
	e.Details["failed_sibling"] = sibling
	return e
}

// LeaderDeadEvent kills a task because the group's leader task ended.
func LeaderDeadEvent() *structs.TaskEvent {
	return newEvent(TaskLeaderDead, "Leader Task in Group dead")
}

// LostEvent says a restarted agent could not re-attach to the task.
func LostEvent(err error) *structs.TaskEvent {
	return DriverFailureEvent(fmt.Errorf("%s%w", LostPrefix, err))
}

// emitDriverEvent records what a driver reports while it starts the task
// (e.g. image download progress) as a task event.
func (tr *TaskRunner) emitDriverEvent(typ, message string) {
	e := newEvent(typ, message)
	e.Message = message
	tr.EmitEvent(e)
}
