package rules

import (
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// HoldsResources reports whether a stored allocation holds resources on
// its node: it exists and is neither server- nor client-terminal.
func HoldsResources(a *structs.Allocation) bool {
	return a != nil && !a.TerminalStatus()
}

// MergeClient returns stored with the client-owned fields of upd
// (ClientStatus, ClientDescription, TaskStates) and a new ModifyTime; the
// server-owned fields and AllocModifyIndex stay as stored. An allocation
// the servers marked lost stays lost: its replacement already runs.
func MergeClient(stored, upd *structs.Allocation, now time.Time) *structs.Allocation {
	c := stored.Copy()
	if stored.ClientStatus != structs.AllocClientStatusLost {
		if upd.ClientStatus != "" {
			c.ClientStatus = upd.ClientStatus
		}
		c.ClientDescription = upd.ClientDescription
	}
	if upd.TaskStates != nil {
		c.TaskStates = upd.TaskStates
	}
	c.ModifyTime = now.UnixNano()
	return c
}

// MergeStop returns stored with the server-owned fields a plan's stop
// changes: DesiredStatus, DesiredDescription, ClientStatus when upd marks
// the allocation lost, and FollowupEvalID and NextAllocation when upd sets
// them. The client's fields stay as stored.
func MergeStop(stored, upd *structs.Allocation, now time.Time) *structs.Allocation {
	c := stored.Copy()
	c.DesiredStatus = upd.DesiredStatus
	c.DesiredDescription = upd.DesiredDescription
	if upd.ClientStatus == structs.AllocClientStatusLost {
		c.ClientStatus = upd.ClientStatus
	}
	if upd.FollowupEvalID != "" {
		c.FollowupEvalID = upd.FollowupEvalID
	}
	if upd.NextAllocation != "" {
		c.NextAllocation = upd.NextAllocation
	}
	c.ModifyTime = now.UnixNano()
	return c
}

// Place returns the allocation a plan stores for a: a copy without Job,
// with default statuses, keeping the client-owned fields, CreateIndex and
// CreateTime of stored (the allocation it replaces, or nil).
func Place(stored, a *structs.Allocation, now time.Time) (*structs.Allocation, error) {
	if a == nil || a.ID == "" || a.NodeID == "" || a.JobID == "" {
		return nil, fmt.Errorf("place alloc: ID, NodeID and JobID are required: %w", ErrInvalid)
	}
	c := a.Copy()
	c.Job = nil
	c.Namespace = Namespace(a.Namespace)
	c.CreateIndex, c.ModifyIndex, c.AllocModifyIndex = 0, 0, 0
	if c.DesiredStatus == "" {
		c.DesiredStatus = structs.AllocDesiredStatusRun
	}
	if stored != nil {
		c.ClientStatus = stored.ClientStatus
		c.ClientDescription = stored.ClientDescription
		c.TaskStates = stored.TaskStates
		c.CreateIndex, c.CreateTime = stored.CreateIndex, stored.CreateTime
	}
	if c.ClientStatus == "" {
		c.ClientStatus = structs.AllocClientStatusPending
	}
	if c.CreateTime == 0 {
		c.CreateTime = now.UnixNano()
	}
	c.ModifyTime = now.UnixNano()
	return c, nil
}
