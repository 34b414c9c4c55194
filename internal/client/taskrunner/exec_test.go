package taskrunner

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// execDriver is the fake driver with an ExecTask that records its task ID
// and exits with 9.
type execDriver struct {
	*fake.Driver
	gotID string
}

func (d *execDriver) ExecTask(_ context.Context, id string, _ *drivers.ExecOptions) (*drivers.ExitResult, error) {
	d.gotID = id
	return &drivers.ExitResult{ExitCode: 9}, nil
}

func TestExec(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, map[string]any{})
	d := &execDriver{Driver: fake.New()}
	tr := h.newRunner(d)
	if err := tr.CanExec(); !errors.Is(err, ErrTaskNotRunning) {
		t.Errorf("before the start: %v, want ErrTaskNotRunning", err)
	}
	h.run(tr)
	h.waitState(tr, structs.TaskStateRunning)
	waitFor(t, "a handle", func() bool { return tr.CanExec() == nil })
	res, err := tr.Exec(context.Background(), &drivers.ExecOptions{Command: []string{"true"}})
	if err != nil || res.ExitCode != 9 || d.gotID != tr.TaskID() {
		t.Errorf("Exec = %+v, %v on %q", res, err, d.gotID)
	}
}

func TestExecWithoutExecer(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, map[string]any{})
	h.run(h.tr)
	h.waitState(h.tr, structs.TaskStateRunning)
	_, err := h.tr.Exec(context.Background(), &drivers.ExecOptions{Command: []string{"true"}})
	if !errors.Is(err, ErrExecNotSupported) {
		t.Errorf("Exec = %v, want ErrExecNotSupported", err)
	}
}
