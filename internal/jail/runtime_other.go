//go:build !linux

package jail

import (
	"context"
	"os/exec"
)

// This is where the FreeBSD runtime goes: jails driven through pot(8), as
// the nomad-pot-driver does. Until then every operation fails with
// ErrUnsupported.

// LookPath fails: there is no jail runtime on this system yet.
func LookPath(string) (string, error) { return "", ErrUnsupported }

// Version fails with ErrUnsupported.
func (r *Runtime) Version(context.Context) (string, error) { return "", ErrUnsupported }

// Create fails with ErrUnsupported.
func (r *Runtime) Create(context.Context, string, CreateOptions) error { return ErrUnsupported }

// Start fails with ErrUnsupported.
func (r *Runtime) Start(context.Context, string, string) error { return ErrUnsupported }

// Run fails with ErrUnsupported.
func (r *Runtime) Run(context.Context, string, RunOptions) error { return ErrUnsupported }

// ExecCommand returns a command that fails to start: its Err is
// ErrUnsupported.
func (r *Runtime) ExecCommand(ctx context.Context, _ string, _ bool, _ ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.Path)
	cmd.Err = ErrUnsupported
	return cmd
}

// Kill fails with ErrUnsupported.
func (r *Runtime) Kill(context.Context, string, string) error { return ErrUnsupported }

// Delete fails with ErrUnsupported.
func (r *Runtime) Delete(context.Context, string) error { return ErrUnsupported }

// State fails with ErrUnsupported.
func (r *Runtime) State(context.Context, string) (*Container, error) { return nil, ErrUnsupported }

// List fails with ErrUnsupported.
func (r *Runtime) List(context.Context) ([]Container, error) { return nil, ErrUnsupported }

// Stats fails with ErrUnsupported.
func (r *Runtime) Stats(context.Context, string) (*Usage, error) { return nil, ErrUnsupported }
