package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// scriptProbe returns a check that runs c's command inside the task
// through the driver: exit 0 is passing, 1 warning, anything else (or no
// way to run it) critical. The command runs in the task the check names
// (a group service's), else in the workload's task.
func scriptProbe(w *Workload, c *structs.ServiceCheck) func(context.Context) result {
	taskID := w.TaskID
	if c.TaskName != "" && c.TaskName != w.Task.Name {
		taskID = w.Alloc.ID + "/" + c.TaskName
	}
	cmd := append([]string{w.interp(c.Command)}, interpAll(w, c.Args)...)
	ex, ok := w.Driver.(drivers.Execer)
	if !ok {
		msg := fmt.Sprintf("driver %s cannot run script checks: it does not support exec", driverName(w.Driver))
		return func(context.Context) result { return result{status: structs.HealthCritical, output: msg} }
	}
	return func(ctx context.Context) result { return runScript(ctx, ex, taskID, cmd) }
}

// runScript execs cmd in the task and maps its exit code to a status.
func runScript(ctx context.Context, ex drivers.Execer, taskID string, cmd []string) result {
	var out syncBuffer
	res, err := ex.ExecTask(ctx, taskID, &drivers.ExecOptions{Command: cmd, Stdout: &out, Stderr: &out})
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return result{status: structs.HealthCritical, output: fmt.Sprintf("script check %q timed out", cmd[0])}
	case err != nil:
		return result{status: structs.HealthCritical, output: fmt.Sprintf("script check %q: %v", cmd[0], err)}
	case res == nil:
		return result{status: structs.HealthCritical, output: fmt.Sprintf("script check %q: no exit status", cmd[0])}
	}
	output := out.String()
	switch {
	case res.Err != nil:
		return result{status: structs.HealthCritical, output: fmt.Sprintf("%s%v", output, res.Err)}
	case res.ExitCode == 0 && res.Signal == 0:
		return result{status: structs.HealthPassing, output: output}
	case res.ExitCode == 1:
		return result{status: structs.HealthWarning, output: output}
	}
	return result{status: structs.HealthCritical, output: output}
}

// syncBuffer is a bytes.Buffer that stdout and stderr may write to at
// once, capped at MaxOutput.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write keeps what fits in MaxOutput and reports everything written.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := MaxOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String returns what was kept.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
