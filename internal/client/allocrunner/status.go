package allocrunner

import "github.com/wharf-project/wharf/internal/structs"

// Client descriptions, as Nomad's.
const (
	DescFailed   = "Failed tasks"
	DescRunning  = "Tasks are running"
	DescPending  = "No tasks have started"
	DescComplete = "All tasks have completed"
)

// ClientStatus derives an allocation's client status from its tasks'
// states, as Nomad does: any failed task fails it; else any running task
// makes it running; else any pending task keeps it pending; else every
// task completed.
func ClientStatus(states map[string]*structs.TaskState) (status, description string) {
	var pending, running, dead, failed bool
	for _, s := range states {
		switch s.State {
		case structs.TaskStateRunning:
			running = true
		case structs.TaskStatePending:
			pending = true
		case structs.TaskStateDead:
			if s.Failed {
				failed = true
			} else {
				dead = true
			}
		}
	}
	switch {
	case failed:
		return structs.AllocClientStatusFailed, DescFailed
	case running:
		return structs.AllocClientStatusRunning, DescRunning
	case pending:
		return structs.AllocClientStatusPending, DescPending
	case dead:
		return structs.AllocClientStatusComplete, DescComplete
	}
	return structs.AllocClientStatusPending, DescPending
}
