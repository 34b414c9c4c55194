// Package state persists what the client agent must remember across its
// own restarts: the node's identity, and per allocation the allocation as
// last seen, each task's state and each task's driver handle, so a new
// agent re-attaches to tasks that kept running instead of starting them
// twice.
//
// state must never import internal/server, internal/scheduler,
// internal/state (the cluster store) or internal/client (the other client
// packages import it).
package state

import (
	"errors"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// ErrNoAlloc is returned when a task's state or handle is written for an
// allocation that is not (or no longer) stored.
var ErrNoAlloc = errors.New("allocation not stored")

// NodeIdentity is the node's ID and secret, generated once per data dir.
type NodeIdentity struct {
	ID       string
	SecretID string
}

// DB stores the client's state. Implementations are safe for concurrent
// use; every read returns a copy the caller may change.
type DB interface {
	// NodeIdentity returns the stored identity, or nil when none is stored.
	NodeIdentity() (*NodeIdentity, error)
	// PutNodeIdentity stores the node's identity.
	PutNodeIdentity(id *NodeIdentity) error

	// PutAlloc stores an allocation as last seen, creating its record.
	PutAlloc(a *structs.Allocation) error
	// Allocs returns every stored allocation. Records that cannot be read
	// are left out and reported in the error, which may come with a
	// non-empty list.
	Allocs() ([]*structs.Allocation, error)
	// DeleteAlloc removes an allocation with its task states and handles.
	DeleteAlloc(allocID string) error

	// PutTaskState stores a task's state; ErrNoAlloc when the allocation
	// is not stored.
	PutTaskState(allocID, task string, st *structs.TaskState) error
	// TaskState returns a task's state, or nil when none is stored.
	TaskState(allocID, task string) (*structs.TaskState, error)

	// PutTaskHandle stores a task's driver handle; ErrNoAlloc when the
	// allocation is not stored.
	PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error
	// TaskHandle returns a task's driver handle, or nil when none is
	// stored.
	TaskHandle(allocID, task string) (*drivers.TaskHandle, error)
	// DeleteTaskHandle forgets a task's driver handle (its task exited).
	DeleteTaskHandle(allocID, task string) error
}
