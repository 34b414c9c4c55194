package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// eventDescription is what the Recent Events table says about an event:
// the client's DisplayMessage when set, otherwise a sentence built from
// the event's fields. Errors from drivers and setup are kept verbatim.
func eventDescription(e *structs.TaskEvent) string {
	desc := e.DisplayMessage
	if desc == "" {
		desc = builtDescription(e)
	}
	if e.DriverError != "" && !strings.Contains(desc, e.DriverError) {
		desc = joinNonEmpty(": ", desc, e.DriverError)
	}
	return desc
}

func builtDescription(e *structs.TaskEvent) string {
	switch e.Type {
	case structs.TaskSetupFailure:
		return or(e.SetupError, "Task setup failed")
	case structs.TaskDriverFailure:
		return or(e.DriverError, "Failed to start task")
	case structs.TaskReceived:
		return "Task received by client"
	case structs.TaskStarted:
		return "Task started by client"
	case structs.TaskTerminated:
		return terminatedDescription(e)
	case structs.TaskRestarting:
		return joinNonEmpty(" - ", e.RestartReason, "Task restarting in "+time.Duration(e.StartDelay).String())
	case structs.TaskKilling:
		return killingDescription(e)
	case structs.TaskKilled:
		if e.KillError != "" {
			return "Task killed with error: " + e.KillError
		}
		return "Task successfully killed"
	case structs.TaskNotRestarting:
		return or(e.RestartReason, "Task exceeded its restart policy")
	case structs.TaskSiblingFailed:
		if s := e.Details["failed_sibling"]; s != "" {
			return fmt.Sprintf("Task's sibling %q failed", s)
		}
		return "A sibling task failed"
	case structs.TaskDriverMessage:
		return or(e.DriverMessage, e.Message)
	case structs.TaskSignaling:
		return or(e.Message, "Task being sent a signal")
	}
	return e.Message
}

func terminatedDescription(e *structs.TaskEvent) string {
	s := fmt.Sprintf("Exit Code: %d", e.ExitCode)
	if e.Signal != 0 {
		s += fmt.Sprintf(", Signal: %d", e.Signal)
	}
	if e.Message != "" {
		s += fmt.Sprintf(", Exit Message: %q", e.Message)
	}
	return s
}

func killingDescription(e *structs.TaskEvent) string {
	if e.KillReason != "" {
		return "Killing task: " + e.KillReason
	}
	if e.KillTimeout > 0 {
		return fmt.Sprintf("Sent interrupt; force killing after %s", e.KillTimeout)
	}
	return "Killing task"
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
