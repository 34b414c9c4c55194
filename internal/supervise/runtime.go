package supervise

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/jail"
)

// Names of the files the supervisor keeps in a runtime task's bundle.
const (
	// RuntimeLogFile receives the runtime's own log (runc --log), as JSON
	// lines; the supervisor reads errors from it.
	RuntimeLogFile = "runc.log"
	// RuntimePIDFile is where the runtime writes the container init's PID.
	RuntimePIDFile = "init.pid"
)

// validate reports the first missing field of a runtime spec.
func (rt *Runtime) validate() error {
	switch {
	case rt.Path == "":
		return errors.New("spec: runtime path is required")
	case rt.Root == "":
		return errors.New("spec: runtime root is required")
	case rt.Bundle == "":
		return errors.New("spec: runtime bundle is required")
	case rt.ContainerID == "":
		return errors.New("spec: runtime container_id is required")
	}
	return nil
}

// Jail returns the jail runtime that runs the task's container.
func (rt *Runtime) Jail() *jail.Runtime { return &jail.Runtime{Path: rt.Path, Root: rt.Root} }

// logPath is the runtime's log file in the bundle.
func (rt *Runtime) logPath() string { return filepath.Join(rt.Bundle, RuntimeLogFile) }

// pidPath is the file the runtime writes the init PID to.
func (rt *Runtime) pidPath() string { return filepath.Join(rt.Bundle, RuntimePIDFile) }

// deleteContainer force-deletes the task's container, which kills
// whatever runs in it and removes its cgroup and runtime state. A
// container that does not exist is not an error.
func deleteContainer(ctx context.Context, rt *Runtime) error {
	return rt.Jail().Delete(ctx, rt.ContainerID)
}
