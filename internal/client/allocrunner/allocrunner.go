package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/client/taskrunner"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Config is what an alloc runner needs.
type Config struct {
	// Alloc is the allocation with its Job.
	Alloc *structs.Allocation
	// DB persists the allocation and its tasks.
	DB state.DB
	// Drivers are the node's drivers by name.
	Drivers map[string]drivers.Driver
	// AllocRoot is the directory allocation directories are made in.
	AllocRoot string
	// Logger receives the runner's logs. Default: slog.Default().
	Logger *slog.Logger
	// Node returns the node's current description.
	Node func() *structs.Node
	// Region is the agent's region.
	Region string
	// HostEnv is the base layer of every task's environment.
	HostEnv map[string]string
	// OnUpdate receives the allocation's client-side fields (ID,
	// ClientStatus, ClientDescription, TaskStates) after every change. It
	// must not block.
	OnUpdate func(*structs.Allocation)
	// Services registers the tasks' services; nil registers none.
	Services taskrunner.ServiceRegistrar
}

// AllocRunner runs one allocation. Create it with New, optionally
// Restore it, then call Run once.
type AllocRunner struct {
	cfg      Config
	log      *slog.Logger
	dir      *allocdir.AllocDir
	tasks    []*taskrunner.TaskRunner
	hooks    []PrerunHook
	waitCh   chan struct{}
	killOnce sync.Once
	// updateMu orders reports: a later snapshot is always delivered later.
	updateMu sync.Mutex

	mu        sync.Mutex
	alloc     *structs.Allocation
	failedBy  string // the first task that failed, whose siblings were killed
	leaderEnd bool
	destroyed bool
}

// New returns a runner for cfg.Alloc with a task runner per task of its
// group.
func New(cfg Config) (*AllocRunner, error) {
	a := cfg.Alloc
	if a == nil || a.Job == nil {
		return nil, errors.New("alloc runner: an allocation with its job is required")
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return nil, fmt.Errorf("alloc %s: job %s has no group %q", a.ID, a.JobID, a.TaskGroup)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(*structs.Allocation) {}
	}
	ar := &AllocRunner{cfg: cfg, log: cfg.Logger.With("alloc_id", a.ID), alloc: a,
		dir: allocdir.New(cfg.AllocRoot, a.ID), waitCh: make(chan struct{})}
	ar.hooks = []PrerunHook{
		&allocDirHook{dir: ar.dir, tasks: tg.Tasks},
		&portsHook{alloc: ar.alloc, started: ar.anyTaskStarted},
	}
	for _, t := range tg.Tasks {
		tr, err := taskrunner.New(taskrunner.Config{
			Alloc: a, Task: t, Driver: cfg.Drivers[t.Driver], AllocDir: ar.dir, DB: cfg.DB,
			Logger: cfg.Logger, Node: cfg.Node, Region: cfg.Region, HostEnv: cfg.HostEnv,
			OnStateChange: ar.taskStateUpdated, Services: cfg.Services,
		})
		if err != nil {
			return nil, fmt.Errorf("alloc %s: %w", a.ID, err)
		}
		ar.tasks = append(ar.tasks, tr)
	}
	return ar, nil
}

// Restore loads the persisted state of every task.
func (ar *AllocRunner) Restore() error {
	var errs []error
	for _, tr := range ar.tasks {
		errs = append(errs, tr.Restore())
	}
	return errors.Join(errs...)
}

// ID is the allocation's ID.
func (ar *AllocRunner) ID() string { return ar.cfg.Alloc.ID }

// AllocDir is the allocation's directory.
func (ar *AllocRunner) AllocDir() *allocdir.AllocDir { return ar.dir }

// WaitCh is closed when Run returns.
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// Tasks returns the task runners, in the group's order.
func (ar *AllocRunner) Tasks() []*taskrunner.TaskRunner { return ar.tasks }

// Run persists the allocation, runs the prerun hooks and every task until
// they are dead or ctx ends (tasks are then left running).
func (ar *AllocRunner) Run(ctx context.Context) {
	defer close(ar.waitCh)
	ar.mu.Lock()
	if !ar.destroyed {
		if err := ar.cfg.DB.PutAlloc(ar.alloc); err != nil {
			ar.log.Warn("persist allocation", "err", err)
		}
	}
	ar.mu.Unlock()
	ar.taskStateUpdated()
	if !ar.IsDead() {
		if err := ar.prerun(ctx); err != nil && ctx.Err() == nil {
			ar.log.Error("allocation setup failed", "err", err)
			ar.failSetup(err)
		}
	}
	// Task runners return at once when ctx has ended.
	var wg sync.WaitGroup
	for _, tr := range ar.tasks {
		wg.Add(1)
		go func() { defer wg.Done(); tr.Run(ctx) }()
	}
	wg.Wait()
}

func (ar *AllocRunner) prerun(ctx context.Context) error {
	for _, h := range ar.hooks {
		if err := h.Prerun(ctx); err != nil {
			return fmt.Errorf("prerun hook %q failed: %w", h.Name(), err)
		}
	}
	return nil
}

// anyTaskStarted reports whether a task of the allocation has started
// before (a restored allocation).
func (ar *AllocRunner) anyTaskStarted() bool {
	for _, tr := range ar.tasks {
		if st := tr.State(); st.State != structs.TaskStatePending || st.Restarts > 0 || tr.Handle() != nil {
			return true
		}
	}
	return false
}

// failSetup fails every task with a Setup Failure event before it starts.
func (ar *AllocRunner) failSetup(err error) {
	for _, tr := range ar.tasks {
		tr.MarkFailed(taskrunner.SetupFailureEvent(err))
	}
}

// Alloc returns the allocation as last seen, with the client's status and
// task states.
func (ar *AllocRunner) Alloc() *structs.Allocation {
	ar.mu.Lock()
	a := ar.alloc.Copy()
	ar.mu.Unlock()
	a.TaskStates = ar.taskStates()
	a.ClientStatus, a.ClientDescription = ClientStatus(a.TaskStates)
	return a
}

func (ar *AllocRunner) taskStates() map[string]*structs.TaskState {
	out := make(map[string]*structs.TaskState, len(ar.tasks))
	for _, tr := range ar.tasks {
		out[tr.TaskName()] = tr.State()
	}
	return out
}

// IsDead reports whether every task is dead: the allocation is terminal
// on this client.
func (ar *AllocRunner) IsDead() bool {
	for _, tr := range ar.tasks {
		if !tr.IsDead() {
			return false
		}
	}
	return true
}

// ServerAlloc returns the allocation as the servers last sent it.
func (ar *AllocRunner) ServerAlloc() *structs.Allocation {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.alloc
}

// Update takes a newer version of the allocation from the servers. A
// stop or evict kills the tasks. A version without its job keeps the job
// last seen.
func (ar *AllocRunner) Update(a *structs.Allocation) {
	ar.mu.Lock()
	if ar.destroyed {
		ar.mu.Unlock()
		return
	}
	if a.Job == nil {
		a = a.Copy()
		a.Job = ar.alloc.Job
	}
	ar.alloc = a
	// Persisting under the lock keeps a late update from recreating the
	// record Destroy deletes (a restored record would start the tasks).
	if err := ar.cfg.DB.PutAlloc(a); err != nil {
		ar.log.Warn("persist allocation", "err", err)
	}
	ar.mu.Unlock()
	if a.ServerTerminalStatus() {
		ar.log.Info("allocation stopped by the servers", "desired", a.DesiredStatus, "reason", a.DesiredDescription)
		go func() { _ = ar.Kill(context.Background()) }()
		return
	}
	for _, tr := range ar.tasks {
		tr.Update(a)
	}
}

// Kill stops every task (Killing, then Killed) and waits until they are
// dead or ctx ends.
func (ar *AllocRunner) Kill(ctx context.Context) error {
	ar.killOnce.Do(func() { ar.killAll(func(string) *structs.TaskEvent { return nil }) })
	for _, tr := range ar.tasks {
		select {
		case <-tr.WaitCh():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// killAll asks every live task to stop with the event ev gives it; it does
// not wait.
func (ar *AllocRunner) killAll(ev func(task string) *structs.TaskEvent) {
	for _, tr := range ar.tasks {
		if !tr.IsDead() {
			go func() { _ = tr.Kill(context.Background(), ev(tr.TaskName())) }()
		}
	}
}

// Destroy kills the tasks and forgets the allocation's persisted state.
// The allocation directory (with the logs) stays until garbage collected.
func (ar *AllocRunner) Destroy(ctx context.Context) error {
	if err := ar.Kill(ctx); err != nil {
		return fmt.Errorf("destroy alloc %s: %w", ar.ID(), err)
	}
	ar.mu.Lock()
	defer ar.mu.Unlock()
	ar.destroyed = true
	if err := ar.cfg.DB.DeleteAlloc(ar.ID()); err != nil {
		return fmt.Errorf("destroy alloc %s: %w", ar.ID(), err)
	}
	return nil
}

// IsDestroyed reports whether Destroy completed.
func (ar *AllocRunner) IsDestroyed() bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.destroyed
}
