package allocrunner

import (
	"github.com/wharf-project/wharf/internal/client/taskrunner"
	"github.com/wharf-project/wharf/internal/structs"
)

// taskStateUpdated runs after any task's state changed: it applies the
// reactions between tasks and reports the allocation.
func (ar *AllocRunner) taskStateUpdated() {
	ar.updateMu.Lock()
	defer ar.updateMu.Unlock()
	ar.reactToDeadTasks()
	ar.cfg.OnUpdate(ar.clientUpdate())
}

// reactToDeadTasks kills the other tasks, once, when a task failed
// (Sibling Task Failed) or the leader task ended (Leader Task Dead).
func (ar *AllocRunner) reactToDeadTasks() {
	var failed string
	leaderDead := false
	for _, tr := range ar.tasks {
		st := tr.State()
		if st.State != structs.TaskStateDead {
			continue
		}
		if st.Failed && failed == "" {
			failed = tr.TaskName()
		}
		if tr.IsLeader() {
			leaderDead = true
		}
	}
	ar.mu.Lock()
	killSiblings := failed != "" && ar.failedBy == ""
	if killSiblings {
		ar.failedBy = failed
	}
	killForLeader := leaderDead && !ar.leaderEnd && !killSiblings
	if leaderDead {
		ar.leaderEnd = true
	}
	ar.mu.Unlock()
	switch {
	case killSiblings:
		ar.log.Info("task failed; killing its siblings", "task", failed)
		ar.killAll(func(string) *structs.TaskEvent { return taskrunner.SiblingFailedEvent(failed) })
	case killForLeader:
		ar.log.Info("leader task dead; killing the other tasks")
		ar.killAll(func(string) *structs.TaskEvent { return taskrunner.LeaderDeadEvent() })
	}
}

// clientUpdate is what the servers are told: the client-owned fields.
func (ar *AllocRunner) clientUpdate() *structs.Allocation {
	a := ar.Alloc()
	return &structs.Allocation{ID: a.ID, ClientStatus: a.ClientStatus,
		ClientDescription: a.ClientDescription, TaskStates: a.TaskStates}
}
