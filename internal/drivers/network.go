package drivers

import "context"

// Networker is implemented by drivers whose tasks have an address of their
// own (pot's jails): services with address_mode = "driver" register that
// address and the port inside the task.
type Networker interface {
	// TaskNetwork returns the task's own address and, per port label, the
	// port the task listens on. ErrTaskNotFound when the task is not held.
	// A task sharing the host's network has no address of its own: IP is
	// then empty.
	TaskNetwork(ctx context.Context, taskID string) (*TaskNetwork, error)
}

// TaskNetwork is a task's own network address.
type TaskNetwork struct {
	IP string
	// PortMap maps a port label to the port inside the task.
	PortMap map[string]int
}
