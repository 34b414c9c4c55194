package tmpl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/backoff"
)

// Kinds of dependency a template can have on the catalog.
const (
	kindServices = "services"
	kindService  = "service"
	kindNodes    = "nodes"
)

// blockingWait bounds one blocking query; the server answers earlier when
// its index moves.
const blockingWait = 5 * time.Minute

// Retry delays after a failed query (the agent is down or restarting).
const (
	retryMin = 250 * time.Millisecond
	retryMax = 30 * time.Second
)

// errNoIndex is a read answered without X-Nomad-Index: it cannot block, so
// it is retried after a delay instead of at once.
var errNoIndex = errors.New("answer has no X-Nomad-Index header")

// depKey names one catalog read: its kind and, for a service, its name.
type depKey struct {
	kind string
	name string
}

func (k depKey) String() string {
	if k.name == "" {
		return k.kind
	}
	return fmt.Sprintf("%s %q", k.kind, k.name)
}

// dep is one catalog read and its latest answer.
type dep struct {
	key    depKey
	ready  chan struct{} // closed after the first attempt
	data   any
	index  uint64
	ok     bool
	err    error
	cancel context.CancelFunc
}

// store holds the dependencies of the templates and, when watching, one
// goroutine per dependency that follows it with blocking queries and
// signals changed when its answer differs.
type store struct {
	ctx     context.Context
	c       *api.Client
	log     *slog.Logger
	watch   bool
	changed chan struct{}

	mu   sync.Mutex
	deps map[depKey]*dep
	used map[depKey]bool
	wg   sync.WaitGroup
}

func newStore(ctx context.Context, c *api.Client, log *slog.Logger, watch bool) *store {
	return &store{ctx: ctx, c: c, log: log, watch: watch, changed: make(chan struct{}, 1),
		deps: map[depKey]*dep{}, used: map[depKey]bool{}}
}

// get returns the latest answer of key, reading it first when no template
// asked for it before.
func (s *store) get(key depKey) (any, error) {
	s.mu.Lock()
	s.used[key] = true
	d := s.deps[key]
	if d == nil {
		d = s.start(key)
	}
	s.mu.Unlock()
	select {
	case <-d.ready:
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !d.ok {
		return nil, fmt.Errorf("reading %s: %w", key, d.err)
	}
	return d.data, nil
}

// start adds the dependency key and its goroutine; s.mu is held.
func (s *store) start(key depKey) *dep {
	ctx, cancel := context.WithCancel(s.ctx)
	d := &dep{key: key, ready: make(chan struct{}), cancel: cancel}
	s.deps[key] = d
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.follow(ctx, d)
	}()
	return d
}

// follow reads d once and then, when watching, blocks on it until ctx
// ends, recording each answer and signalling those that differ.
func (s *store) follow(ctx context.Context, d *dep) {
	retry := backoff.Backoff{Min: retryMin, Max: retryMax, NoJitter: true}
	for first := true; ; first = false {
		data, index, err := s.fetch(ctx, d.key, d.index)
		if ctx.Err() != nil {
			return
		}
		if s.record(d, data, index, err, first) && !first {
			s.signal()
		}
		if !s.watch {
			return
		}
		if err == nil && index != 0 {
			retry.Reset()
			continue
		}
		if err == nil {
			err = errNoIndex
		}
		delay := retry.Next()
		s.log.Warn("catalog read failed, retrying", "read", d.key.String(), "in", delay, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// record stores one answer of d and reports whether it changed what
// templates see.
func (s *store) record(d *dep, data any, index uint64, err error, first bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if first {
		defer close(d.ready)
	}
	if err != nil {
		d.err = err
		return false
	}
	if index < d.index || index == 0 {
		// The index went back (a new cluster) or is missing: the next
		// read returns at once and gives a fresh one.
		index = 1
	}
	changed := !d.ok || !reflect.DeepEqual(d.data, data)
	d.data, d.index, d.ok, d.err = data, index, true, nil
	return changed
}

// fetch sends one (blocking, when index > 0) read of key.
func (s *store) fetch(ctx context.Context, key depKey, index uint64) (any, uint64, error) {
	q := &api.QueryOptions{WaitIndex: index, WaitTime: blockingWait, Context: ctx}
	var (
		data any
		meta *api.QueryMeta
		err  error
	)
	switch key.kind {
	case kindServices:
		data, meta, err = s.c.Services().List(q)
	case kindService:
		data, meta, err = s.c.Services().Get(key.name, q)
	case kindNodes:
		data, meta, err = s.c.Nodes().List(q)
	default:
		return nil, 0, fmt.Errorf("unknown dependency kind %q", key.kind)
	}
	if err != nil {
		return nil, 0, err
	}
	return data, meta.LastIndex, nil
}

// signal wakes the runner; a pending signal already covers this change.
func (s *store) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// beginPass starts a render pass: prune afterwards drops what it did not
// use.
func (s *store) beginPass() {
	s.mu.Lock()
	s.used = map[depKey]bool{}
	s.mu.Unlock()
}

// prune stops following the dependencies the last pass did not use (a
// service that left the catalog, say).
func (s *store) prune() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, d := range s.deps {
		if !s.used[k] {
			d.cancel()
			delete(s.deps, k)
		}
	}
}

// keys returns the dependencies followed now.
func (s *store) keys() []depKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]depKey, 0, len(s.deps))
	for k := range s.deps {
		out = append(out, k)
	}
	return out
}

// close stops every goroutine and waits for them.
func (s *store) close() {
	s.mu.Lock()
	for _, d := range s.deps {
		d.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
