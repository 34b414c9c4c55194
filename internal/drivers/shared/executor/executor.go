package executor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wharf-project/wharf/internal/drivers"
)

// Options configure an Executor.
type Options struct {
	// Label names the driver in handles and errors ("raw_exec", "pot").
	Label string
	// StateDir holds one directory per task (spec, state, exit, socket,
	// supervisor log). It must survive an agent restart, and be short:
	// unix socket paths are limited to 103 bytes. Default: the system
	// temp dir's "wharf-<Label>".
	StateDir string
	// SupervisorCommand runs supervise.Main with the state directory
	// appended. Default: this executable and "supervise" (the hidden
	// `wharf supervise` command).
	SupervisorCommand []string
	// Measure reads a running task's resource use; default
	// MeasureProcesses (its cgroup, or its process group).
	Measure func(ctx context.Context, t *Task) (*drivers.TaskStats, error)
}

// Executor runs supervised tasks and holds the table of them. Its zero
// value is not usable; use New.
type Executor struct {
	opts   Options
	exeErr error

	mu       sync.Mutex
	tasks    map[string]*Task
	starting map[string]bool // IDs whose start is under way
}

// New returns an executor with the defaults of opts filled in.
func New(opts Options) *Executor {
	e := &Executor{opts: opts, tasks: map[string]*Task{}, starting: map[string]bool{}}
	if e.opts.StateDir == "" {
		e.opts.StateDir = filepath.Join(os.TempDir(), "wharf-"+opts.Label)
	}
	if len(e.opts.SupervisorCommand) == 0 {
		exe, err := os.Executable()
		e.opts.SupervisorCommand, e.exeErr = []string{exe, "supervise"}, err
	}
	if e.opts.Measure == nil {
		e.opts.Measure = MeasureProcesses
	}
	return e
}

// Options returns the executor's options, defaults filled in.
func (e *Executor) Options() Options { return e.opts }

// SupervisorError says why no supervisor can be started (the wharf binary
// was not found), or nil.
func (e *Executor) SupervisorError() error { return e.exeErr }

// Label is the name the executor uses in handles and errors.
func (e *Executor) Label() string { return e.opts.Label }

// StateDirFor returns the state directory of task id: a hash of its ID
// keeps the path (and the socket in it) short whatever the ID.
func (e *Executor) StateDirFor(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(e.opts.StateDir, hex.EncodeToString(sum[:8]))
}

// Reserve marks id as being started, unless a task with that ID is held or
// already being started; release ends the reservation (a started task is
// held by then). A driver reserves before it prepares anything for the
// task, so two starts of one ID never both prepare.
func (e *Executor) Reserve(id string) (release func(), err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.tasks[id]; ok || e.starting[id] {
		return nil, fmt.Errorf("%s task %s is already started", e.opts.Label, id)
	}
	e.starting[id] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			delete(e.starting, id)
		})
	}, nil
}

// Get returns the task with that ID; ErrTaskNotFound when it is not held.
func (e *Executor) Get(id string) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tasks[id]
	if !ok {
		return nil, fmt.Errorf("%s task %s: %w", e.opts.Label, id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// Tasks returns the tasks held now.
func (e *Executor) Tasks() []*Task {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Task, 0, len(e.tasks))
	for _, t := range e.tasks {
		out = append(out, t)
	}
	return out
}

// track adds a task unless one with its ID is held; it reports whether it
// did.
func (e *Executor) track(t *Task) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.tasks[t.cfg.ID]; ok {
		return false
	}
	e.tasks[t.cfg.ID] = t
	return true
}

// forget drops a task.
func (e *Executor) forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.tasks, id)
}

// held reports whether a task with that ID is held.
func (e *Executor) held(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.tasks[id]
	return ok
}
