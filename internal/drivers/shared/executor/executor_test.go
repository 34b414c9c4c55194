package executor

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

func TestReserve(t *testing.T) {
	e := New(Options{Label: "test", StateDir: t.TempDir()})
	release, err := e.Reserve("a/web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reserve("a/web"); err == nil || err.Error() != "test task a/web is already started" {
		t.Errorf("second reserve: %v", err)
	}
	if r, err := e.Reserve("b/web"); err != nil {
		t.Errorf("another ID: %v", err)
	} else {
		r()
	}
	release()
	release() // twice is harmless
	r, err := e.Reserve("a/web")
	if err != nil {
		t.Fatalf("reserve after release: %v", err)
	}
	// A held task cannot be reserved either.
	e.tasks["a/web"] = newTask(&drivers.TaskConfig{ID: "a/web"}, &supervise.State{}, nil, nil)
	r()
	if _, err := e.Reserve("a/web"); err == nil {
		t.Error("reserved the ID of a held task")
	}
}

func TestDefaultsAndStateDirs(t *testing.T) {
	e := New(Options{Label: "pot"})
	o := e.Options()
	if filepath.Base(o.StateDir) != "wharf-pot" || len(o.SupervisorCommand) != 2 || o.SupervisorCommand[1] != "supervise" || o.Measure == nil {
		t.Errorf("defaults = %+v", o)
	}
	a, b := e.StateDirFor("a/web"), e.StateDirFor(strings.Repeat("x", 4096))
	for _, dir := range []string{a, b} {
		if filepath.Dir(dir) != o.StateDir || len(filepath.Base(dir)) != 16 {
			t.Errorf("state dir %s: want a short hash under %s", dir, o.StateDir)
		}
	}
	if a == b || a != e.StateDirFor("a/web") {
		t.Error("state dirs are not one per ID")
	}
}

// TestUnknownTask: every operation on an ID the executor does not hold is
// ErrTaskNotFound, named by the label.
func TestUnknownTask(t *testing.T) {
	e := New(Options{Label: "test", StateDir: t.TempDir()})
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["wait"] = e.Wait(ctx, "x")
	errs["stop"] = e.Stop(ctx, "x", 0, "")
	errs["destroy"] = e.Destroy(ctx, "x", true)
	_, errs["inspect"] = e.Inspect(ctx, "x")
	errs["signal"] = e.Signal(ctx, "x", "HUP")
	_, errs["stats"] = e.Stats(ctx, "x")
	_, errs["exec"] = e.Exec(ctx, "x", &drivers.ExecOptions{Command: []string{"true"}}, nil)
	errs["recover"] = e.Recover(ctx, &drivers.TaskHandle{Config: &drivers.TaskConfig{ID: "x"}}, nil)
	for op, err := range errs {
		if !errors.Is(err, drivers.ErrTaskNotFound) || !strings.HasPrefix(err.Error(), "test task x") {
			t.Errorf("%s: %v, want the label and ErrTaskNotFound", op, err)
		}
	}
}

func TestRecoverRefusesBadState(t *testing.T) {
	e := New(Options{Label: "test", StateDir: t.TempDir()})
	cfg := &drivers.TaskConfig{ID: "x"}
	tests := map[string]*drivers.TaskHandle{
		"no config":   {},
		"not json":    {Config: cfg, DriverState: []byte("{")},
		"old version": {Config: cfg, DriverState: []byte(`{"version":7,"dir":"/tmp/x"}`)},
		"no dir":      {Config: cfg, DriverState: []byte(`{"version":1}`)},
	}
	for name, h := range tests {
		if err := e.Recover(context.Background(), h, nil); err == nil || errors.Is(err, drivers.ErrTaskNotFound) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}
