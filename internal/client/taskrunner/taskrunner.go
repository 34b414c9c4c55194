package taskrunner

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/client/restarts"
	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Config is what a task runner needs.
type Config struct {
	// Alloc is the allocation (with its Job); Task one of its group's tasks.
	Alloc *structs.Allocation
	Task  *structs.Task
	// Driver runs the task; nil when the node has no driver of that name
	// (the task then fails with a Driver Failure event).
	Driver drivers.Driver
	// AllocDir is the allocation's directory (built by the alloc runner).
	AllocDir *allocdir.AllocDir
	// DB persists the task's state and handle.
	DB state.DB
	// Logger receives the runner's logs. Default: slog.Default().
	Logger *slog.Logger
	// Node returns the node's current description (for the environment).
	Node func() *structs.Node
	// Region is the agent's region.
	Region string
	// HostEnv is the base layer of the task's environment.
	HostEnv map[string]string
	// OnStateChange is called, with no lock held, after every change of
	// the task's state.
	OnStateChange func()
	// Services registers the task's services while it runs; nil
	// registers none.
	Services ServiceRegistrar
}

// TaskRunner runs one task. Create it with New, optionally Restore it,
// then call Run once.
type TaskRunner struct {
	cfg      Config
	log      *slog.Logger
	taskID   string
	restarts *restarts.Tracker
	hooks    []PrestartHook
	// poststartHooks and stopHookList run after a start and at a stop.
	poststartHooks []PoststartHook
	stopHookList   []StopHook

	mu        sync.Mutex
	alloc     *structs.Allocation
	task      *structs.Task
	state     *structs.TaskState
	handle    *drivers.TaskHandle
	setupDone bool
	killEvent *structs.TaskEvent

	killOnce  sync.Once
	killCh    chan struct{}
	waitCh    chan struct{}
	restartCh chan struct{}
}

// New returns a runner for a task that has not run yet: its state is
// pending with a Received event.
func New(cfg Config) (*TaskRunner, error) {
	if cfg.Alloc == nil || cfg.Task == nil || cfg.AllocDir == nil || cfg.DB == nil {
		return nil, errors.New("task runner: alloc, task, alloc dir and state db are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Node == nil {
		cfg.Node = func() *structs.Node { return &structs.Node{} }
	}
	if cfg.OnStateChange == nil {
		cfg.OnStateChange = func() {}
	}
	tr := &TaskRunner{
		cfg:    cfg,
		log:    cfg.Logger.With("alloc_id", cfg.Alloc.ID, "task", cfg.Task.Name),
		taskID: cfg.Alloc.ID + "/" + cfg.Task.Name,
		alloc:  cfg.Alloc,
		task:   cfg.Task,
		state:  &structs.TaskState{State: structs.TaskStatePending, Events: []*structs.TaskEvent{ReceivedEvent()}},
		killCh: make(chan struct{}),
		waitCh: make(chan struct{}),
		// restartCh holds at most one pending user restart.
		restartCh: make(chan struct{}, 1),
	}
	tr.restarts = restarts.New(restartPolicy(cfg.Alloc, cfg.Task), jobType(cfg.Alloc))
	tr.hooks = defaultHooks()
	if cfg.Services != nil {
		h := &servicesHook{services: cfg.Services, target: tr}
		tr.poststartHooks = append(tr.poststartHooks, h)
		tr.stopHookList = append(tr.stopHookList, h)
	}
	return tr, nil
}

// restartPolicy is the task's policy, else its group's.
func restartPolicy(a *structs.Allocation, t *structs.Task) *structs.RestartPolicy {
	if t.RestartPolicy != nil {
		return t.RestartPolicy
	}
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			return tg.RestartPolicy
		}
	}
	return nil
}

func jobType(a *structs.Allocation) string {
	if a.Job != nil && a.Job.Type != "" {
		return a.Job.Type
	}
	return structs.JobTypeService
}

// Restore loads the task's state and driver handle persisted by an
// earlier agent; Run then re-attaches instead of starting the task.
func (tr *TaskRunner) Restore() error {
	st, err := tr.cfg.DB.TaskState(tr.cfg.Alloc.ID, tr.cfg.Task.Name)
	if err != nil {
		return fmt.Errorf("restore task %s: %w", tr.taskID, err)
	}
	h, err := tr.cfg.DB.TaskHandle(tr.cfg.Alloc.ID, tr.cfg.Task.Name)
	if err != nil {
		return fmt.Errorf("restore task %s: %w", tr.taskID, err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if st != nil {
		tr.state = st
		tr.setupDone = st.State != structs.TaskStatePending || st.Restarts > 0
	}
	tr.handle = h
	return nil
}

// TaskName is the task's name.
func (tr *TaskRunner) TaskName() string { return tr.cfg.Task.Name }

// TaskID is the ID the driver knows the task by: "<allocID>/<task>".
func (tr *TaskRunner) TaskID() string { return tr.taskID }

// IsLeader reports whether the task is its group's leader.
func (tr *TaskRunner) IsLeader() bool { return tr.cfg.Task.Leader }

// State returns a copy of the task's state.
func (tr *TaskRunner) State() *structs.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return copyState(tr.state)
}

func copyState(s *structs.TaskState) *structs.TaskState {
	c := *s
	c.Events = slices.Clone(s.Events)
	return &c
}

// Handle returns the driver handle of the running task, or nil.
func (tr *TaskRunner) Handle() *drivers.TaskHandle {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.handle
}

// IsDead reports whether the task will not run again.
func (tr *TaskRunner) IsDead() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.state.State == structs.TaskStateDead
}

// WaitCh is closed when Run returns.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// Update gives the runner a newer version of its allocation (an in-place
// update); the next start uses it.
func (tr *TaskRunner) Update(a *structs.Allocation) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.alloc = a
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			if t := tg.LookupTask(tr.task.Name); t != nil {
				tr.task = t
			}
		}
	}
}

// current returns the allocation and task to start.
func (tr *TaskRunner) current() (*structs.Allocation, *structs.Task) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.alloc, tr.task
}

// EmitEvent records an event without changing the task's state.
func (tr *TaskRunner) EmitEvent(e *structs.TaskEvent) {
	tr.updateState(nil, e)
}

// updateState changes the state under the lock, appends events, persists
// the state and tells the owner.
func (tr *TaskRunner) updateState(change func(*structs.TaskState), events ...*structs.TaskEvent) {
	tr.mu.Lock()
	if change != nil {
		change(tr.state)
	}
	for _, e := range events {
		if e != nil {
			tr.state.Events = appendEvent(tr.state.Events, e)
		}
	}
	snapshot := copyState(tr.state)
	if err := tr.cfg.DB.PutTaskState(tr.cfg.Alloc.ID, tr.cfg.Task.Name, snapshot); err != nil && !errors.Is(err, state.ErrNoAlloc) {
		tr.log.Warn("persist task state", "err", err)
	}
	tr.mu.Unlock()
	tr.cfg.OnStateChange()
}

func appendEvent(events []*structs.TaskEvent, e *structs.TaskEvent) []*structs.TaskEvent {
	events = append(events, e)
	if len(events) > MaxEvents {
		events = slices.Clone(events[len(events)-MaxEvents:])
	}
	return events
}

// setRunning marks the task running after a start.
func (tr *TaskRunner) setRunning(e *structs.TaskEvent) {
	tr.updateState(func(s *structs.TaskState) {
		s.State = structs.TaskStateRunning
		s.StartedAt = time.Now().UTC()
		s.FinishedAt = time.Time{}
	}, e)
}

// setDead marks the task dead for good.
func (tr *TaskRunner) setDead(failed bool, events ...*structs.TaskEvent) {
	tr.updateState(func(s *structs.TaskState) {
		s.State = structs.TaskStateDead
		s.Failed = s.Failed || failed
		s.FinishedAt = time.Now().UTC()
	}, events...)
}

// MarkFailed makes a task that has not started dead and failed, with
// events (e.g. the allocation's setup failed); Run then does nothing.
func (tr *TaskRunner) MarkFailed(events ...*structs.TaskEvent) {
	tr.setDead(true, events...)
}

// killed reports whether a kill was asked.
func (tr *TaskRunner) killed() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}
