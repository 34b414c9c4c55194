package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Defaults of the Config knobs.
const (
	DefaultBatchWindow     = 10 * time.Millisecond
	DefaultRefreshInterval = 5 * time.Minute
	DefaultRetryMin        = 500 * time.Millisecond
	DefaultRetryMax        = 30 * time.Second
)

// Catalog is the servers' side of the catalog, as the client agent
// reaches it (internal/api's Services: Register, Deregister, ByNode).
type Catalog interface {
	Register(ctx context.Context, regs []*structs.ServiceRegistration) error
	Deregister(ctx context.Context, ids []string) error
	ByNode(ctx context.Context, nodeID string) ([]*structs.ServiceRegistration, error)
}

// Config configures a Manager.
type Config struct {
	// Catalog receives the writes. Required.
	Catalog Catalog
	// NodeID is this node's ID (for the slow refresh).
	NodeID string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// BatchWindow gathers changes made within it into one write.
	BatchWindow time.Duration
	// RefreshInterval is how often the node's registrations are compared
	// with the servers' copy (and written again when they lost them).
	RefreshInterval time.Duration
	// RetryMin and RetryMax bound the backoff of failed writes.
	RetryMin, RetryMax time.Duration
	// Now is the clock of check_restart's grace; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BatchWindow <= 0 {
		c.BatchWindow = DefaultBatchWindow
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Manager registers the services of the node's running tasks, runs their
// checks and keeps the servers' copy up to date, writing only changes.
type Manager struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}
	// base is the parent context of every check; Close ends it.
	base   context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	workloads map[string]*workload
	// desired is what the servers should hold; written what they were
	// last sent successfully.
	desired map[string]*structs.ServiceRegistration
	written map[string]*structs.ServiceRegistration
	// dirty are desired IDs to write; deletes IDs to deregister.
	dirty   map[string]bool
	deletes map[string]bool
	writes  int
}

// workload is a registered task: its registration IDs and its checks.
type workload struct {
	ids    []string
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New returns a manager; Run writes its changes to the catalog.
func New(cfg Config) (*Manager, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("services: a catalog is required")
	}
	cfg.setDefaults()
	base, cancel := context.WithCancel(context.Background())
	return &Manager{cfg: cfg, log: cfg.Logger.With("component", "services"), kick: make(chan struct{}, 1),
		base: base, cancel: cancel, workloads: map[string]*workload{},
		desired: map[string]*structs.ServiceRegistration{}, written: map[string]*structs.ServiceRegistration{},
		dirty: map[string]bool{}, deletes: map[string]bool{}}, nil
}

// RegisterWorkload registers the services of a task that has started (or
// been re-attached to) and starts their checks. A service that cannot be
// registered (a port label the allocation lacks, no task address) is
// skipped with a task event; the others are registered. Registering a
// workload again replaces its registrations.
func (m *Manager) RegisterWorkload(ctx context.Context, w *Workload) error {
	m.DeregisterWorkload(w)
	var errs []error
	var regs []*structs.ServiceRegistration
	var runners []*checkRunner
	for _, o := range ownedServices(w) {
		reg, specs, err := buildRegistration(ctx, w, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		regs = append(regs, reg)
		runners = append(runners, m.runners(w, reg.ID, specs)...)
	}
	if len(regs) > 0 {
		m.start(w.Key(), regs, runners)
	}
	err := errors.Join(errs...)
	if err != nil {
		m.log.Warn("service not registered", "alloc_id", w.Alloc.ID, "task", w.Task.Name, "err", err)
		emit(w, hookFailedEvent(fmt.Errorf("services: %w", err)))
	}
	return err
}

// runners returns the check runners of one registration, and tells the
// task about script checks its driver cannot run.
func (m *Manager) runners(w *Workload, regID string, specs []*checkSpec) []*checkRunner {
	out := make([]*checkRunner, 0, len(specs))
	for _, s := range specs {
		if s.typ == structs.CheckTypeScript {
			if _, ok := w.Driver.(drivers.Execer); !ok {
				emit(w, hookFailedEvent(fmt.Errorf("check %q: driver %s cannot run script checks: it does not support exec",
					s.name, driverName(w.Driver))))
			}
		}
		out = append(out, &checkRunner{spec: s, regID: regID, counter: newCounter(s), report: m.setCheck,
			watch: newRestartWatch(s.restart, s.name, w.Target, m.cfg.Now, m.log)})
	}
	return out
}

func emit(w *Workload, e *structs.TaskEvent) {
	if w.Target != nil {
		w.Target.EmitEvent(e)
	}
}

// start records a workload's registrations as desired and starts its
// checks.
func (m *Manager) start(key string, regs []*structs.ServiceRegistration, runners []*checkRunner) {
	ctx, cancel := context.WithCancel(m.base)
	wl := &workload{cancel: cancel}
	m.mu.Lock()
	for _, r := range regs {
		wl.ids = append(wl.ids, r.ID)
		m.desired[r.ID] = r
		m.dirty[r.ID] = true
		delete(m.deletes, r.ID)
	}
	m.workloads[key] = wl
	m.mu.Unlock()
	for _, r := range runners {
		wl.done.Go(func() { r.run(ctx) })
	}
	m.poke()
}

// DeregisterWorkload stops the checks of a task that stopped and removes
// its registrations (those it made, and those it would make: a task
// re-attached and then lost is covered too).
func (m *Manager) DeregisterWorkload(w *Workload) {
	m.mu.Lock()
	wl := m.workloads[w.Key()]
	delete(m.workloads, w.Key())
	ids := workloadIDs(w)
	if wl != nil {
		ids = append(ids, wl.ids...)
	}
	m.removeLocked(ids)
	m.mu.Unlock()
	if wl != nil {
		wl.cancel()
		wl.done.Wait()
	}
	m.poke()
}

// DeregisterAlloc stops every workload of an allocation and removes its
// registrations (the allocation was destroyed).
func (m *Manager) DeregisterAlloc(allocID string) {
	prefix := allocID + "/"
	m.mu.Lock()
	var stopped []*workload
	for key, wl := range m.workloads {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix {
			stopped = append(stopped, wl)
			delete(m.workloads, key)
			m.removeLocked(wl.ids)
		}
	}
	for id, r := range m.desired {
		if r.AllocID == allocID {
			m.removeLocked([]string{id})
		}
	}
	m.mu.Unlock()
	for _, wl := range stopped {
		wl.cancel()
		wl.done.Wait()
	}
	m.poke()
}

// removeLocked marks ids for deregistration.
func (m *Manager) removeLocked(ids []string) {
	for _, id := range ids {
		delete(m.desired, id)
		delete(m.dirty, id)
		m.deletes[id] = true
	}
}

// setCheck records a check's latest status and output. A new status
// marks the registration for writing; an output alone rides along with
// the next write, so a check that keeps its status writes nothing.
func (m *Manager) setCheck(regID, checkID, status, output string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	reg := m.desired[regID]
	if reg == nil {
		return
	}
	for i, c := range reg.Checks {
		if c.ID != checkID {
			continue
		}
		if c.Status == status && c.Output == output {
			return
		}
		// Registrations handed to the catalog are never changed in place.
		nc := *c
		nc.Status, nc.Output = status, output
		reg = reg.Copy()
		reg.Checks[i] = &nc
		m.desired[regID] = reg
		if c.Status != status {
			m.dirty[regID] = true
			m.poke()
		}
		return
	}
}

// poke wakes the sync loop.
func (m *Manager) poke() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Registrations returns copies of the registrations the node should
// hold, in no order.
func (m *Manager) Registrations() []*structs.ServiceRegistration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*structs.ServiceRegistration, 0, len(m.desired))
	for _, r := range m.desired {
		out = append(out, r.Copy())
	}
	return out
}

// Writes returns how many Register and Deregister calls succeeded.
func (m *Manager) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// Close stops every check without deregistering anything: the tasks keep
// running and the next agent registers them again.
func (m *Manager) Close() {
	m.cancel()
	m.mu.Lock()
	wls := make([]*workload, 0, len(m.workloads))
	for _, wl := range m.workloads {
		wls = append(wls, wl)
	}
	m.mu.Unlock()
	for _, wl := range wls {
		wl.done.Wait()
	}
}
