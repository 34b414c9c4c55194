package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/structs"
)

// Target receives each new configuration; the proxy is one.
type Target interface {
	Update(cfg *config.Config)
}

// Catalog is the part of the API the watcher reads; *api.Services is one.
type Catalog interface {
	List(q *api.QueryOptions) ([]*structs.ServiceRegistrationListStub, *api.QueryMeta, error)
	Get(name string, q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error)
}

var _ Catalog = (*api.Services)(nil)

// BulkCatalog is a Catalog that can also return every registration in one
// (blocking) read; the watcher then uses it instead of one read per
// service. Instances must answer with the catalog's index like List.
type BulkCatalog interface {
	Catalog
	Instances(q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error)
}

// Defaults of Options.
const (
	DefaultDebounce   = 5 * time.Millisecond
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	DefaultWaitTime   = 5 * time.Minute
	DefaultParallel   = 8
)

// Options configure a Watcher. Catalog and Target are required.
type Options struct {
	Catalog Catalog
	Target  Target
	// Build tunes config.Build (domain, exposed by default, entry points).
	Build config.Options
	// Namespace is the catalog namespace to follow; "*" (all) by default.
	Namespace string
	// Debounce is how long a change waits for more before the table is
	// rebuilt (DefaultDebounce).
	Debounce time.Duration
	// MinBackoff and MaxBackoff bound the wait between retries while the
	// API fails.
	MinBackoff, MaxBackoff time.Duration
	// WaitTime bounds one blocking query (DefaultWaitTime).
	WaitTime time.Duration
	// Parallel is how many services are read at once (DefaultParallel).
	Parallel int
	Logger   *slog.Logger
}

// Stats describe the watcher's progress.
type Stats struct {
	// Index is the catalog index of the current table (0 before the
	// first sync).
	Index uint64 `json:"index"`
	// Updates counts the tables handed to the target.
	Updates uint64 `json:"updates"`
	// Services and Instances count what the current table was built
	// from.
	Services  int `json:"services"`
	Instances int `json:"instances"`
	// LastRead is how long reading the catalog took for the last table,
	// LastBuild how long config.Build took, LastUpdate how long the
	// target's Update took.
	LastRead   time.Duration `json:"lastRead"`
	LastBuild  time.Duration `json:"lastBuild"`
	LastUpdate time.Duration `json:"lastUpdate"`
	// LastError is the latest failure to read the catalog, "" once a read
	// succeeded again.
	LastError string `json:"lastError,omitempty"`
}

// Watcher follows the catalog and updates its target.
type Watcher struct {
	o      Options
	log    *slog.Logger
	synced chan struct{}

	mu    sync.Mutex
	stats Stats
	last  []config.Instance // instances of the current table, sorted
}

// New returns a Watcher; Run starts it.
func New(o Options) *Watcher {
	if o.Namespace == "" {
		o.Namespace = "*"
	}
	if o.Debounce == 0 {
		o.Debounce = DefaultDebounce
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.WaitTime <= 0 {
		o.WaitTime = DefaultWaitTime
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{o: o, log: log, synced: make(chan struct{})}
}

// Synced is closed once the first table was handed to the target.
func (w *Watcher) Synced() <-chan struct{} { return w.synced }

// Stats returns a copy of the watcher's figures.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Run follows the catalog until ctx ends; it returns ctx's error.
func (w *Watcher) Run(ctx context.Context) error {
	var (
		index  uint64
		synced bool
		retry  = backoff.Backoff{Min: w.o.MinBackoff, Max: w.o.MaxBackoff, NoJitter: true}
	)
	for ctx.Err() == nil {
		next, err := w.round(ctx, index, synced)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait := retry.Next()
			w.failed(err, wait)
			sleep(ctx, wait)
			continue
		}
		retry.Reset()
		index, synced = next, true
	}
	return ctx.Err()
}

// round waits for the catalog to move past index (at once when !synced),
// reads it and updates the target when the instances changed. It returns
// the index to wait on next.
func (w *Watcher) round(ctx context.Context, index uint64, synced bool) (uint64, error) {
	if b, ok := w.o.Catalog.(BulkCatalog); ok {
		return w.roundBulk(ctx, b, index, synced)
	}
	start := time.Now()
	stubs, meta, err := w.list(ctx, index, synced)
	if err != nil {
		return index, err
	}
	if synced {
		if meta.LastIndex == index {
			return index, nil // the blocking query timed out: nothing new
		}
		// Coalesce a burst: wait a little, then read the newest state.
		if !sleep(ctx, w.o.Debounce) {
			return index, ctx.Err()
		}
		start = time.Now()
		if stubs, meta, err = w.list(ctx, 0, false); err != nil {
			return index, err
		}
	}
	instances, err := w.read(ctx, stubs)
	if err != nil {
		return index, err
	}
	w.apply(instances, meta.LastIndex, time.Since(start))
	return meta.LastIndex, nil
}

// roundBulk is round with one read of every registration.
func (w *Watcher) roundBulk(ctx context.Context, b BulkCatalog, index uint64, synced bool) (uint64, error) {
	start := time.Now()
	regs, meta, err := w.all(ctx, b, index, synced)
	if err != nil {
		return index, err
	}
	if synced {
		if meta.LastIndex == index {
			return index, nil
		}
		if !sleep(ctx, w.o.Debounce) {
			return index, ctx.Err()
		}
		start = time.Now()
		if regs, meta, err = w.all(ctx, b, 0, false); err != nil {
			return index, err
		}
	}
	w.apply(instances([][]*structs.ServiceRegistration{regs}), meta.LastIndex, time.Since(start))
	return meta.LastIndex, nil
}

func (w *Watcher) all(ctx context.Context, b BulkCatalog, index uint64, block bool) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	q := &api.QueryOptions{Namespace: w.o.Namespace, Context: ctx, Params: routableOnly()}
	if block {
		q.WaitIndex, q.WaitTime = max(index, 1), w.o.WaitTime
	}
	regs, meta, err := b.Instances(q)
	if err != nil {
		return nil, nil, fmt.Errorf("read service instances: %w", err)
	}
	if meta == nil {
		return nil, nil, errors.New("read service instances: no index in the answer")
	}
	return regs, meta, nil
}

// list reads the service names; with block it waits while the catalog's
// index is still index (an empty catalog's 0 waits as 1: etcd revisions
// of real writes are above 1).
func (w *Watcher) list(ctx context.Context, index uint64, block bool) ([]*structs.ServiceRegistrationListStub, *api.QueryMeta, error) {
	q := &api.QueryOptions{Namespace: w.o.Namespace, Context: ctx}
	if block {
		q.WaitIndex, q.WaitTime = max(index, 1), w.o.WaitTime
	}
	stubs, meta, err := w.o.Catalog.List(q)
	if err != nil {
		return nil, nil, fmt.Errorf("list services: %w", err)
	}
	if meta == nil {
		return nil, nil, errors.New("list services: no index in the answer")
	}
	return stubs, meta, nil
}

// failed records and logs a failed read.
func (w *Watcher) failed(err error, backoff time.Duration) {
	w.mu.Lock()
	w.stats.LastError = err.Error()
	w.mu.Unlock()
	w.log.Warn("ingress: reading the catalog failed; keeping the last table", "err", err, "retry_in", backoff)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// routableOnly asks the servers for the instances the ingress may send
// requests to: a task's instance only at an address its allocation owns
// on its node, so that a job cannot point the ingress at a host its jails
// may not reach.
func routableOnly() map[string]string { return map[string]string{"routable": "true"} }
