package watch

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeCatalog is an in-memory catalog with blocking-query semantics: List
// with a WaitIndex waits until the index moves past it.
type fakeCatalog struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	index   uint64
	regs    map[string]*structs.ServiceRegistration
	down    bool // every call fails
	lists   []uint64
	gets    int
}

var _ Catalog = (*fakeCatalog)(nil)

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{changed: make(chan struct{}), index: 10, regs: map[string]*structs.ServiceRegistration{}}
}

// set stores or replaces registrations and moves the index.
func (f *fakeCatalog) set(regs ...*structs.ServiceRegistration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range regs {
		f.regs[r.ID] = r
	}
	f.bump()
}

// remove deletes registrations by ID and moves the index.
func (f *fakeCatalog) remove(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.regs, id)
	}
	f.bump()
}

// touch moves the index without changing anything.
func (f *fakeCatalog) touch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bump()
}

func (f *fakeCatalog) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	f.bump()
}

func (f *fakeCatalog) bump() {
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeCatalog) getCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

func (f *fakeCatalog) currentIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.index
}

// listCalls returns the WaitIndex of every List call so far.
func (f *fakeCatalog) listCalls() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.lists...)
}

func (f *fakeCatalog) List(q *api.QueryOptions) ([]*structs.ServiceRegistrationListStub, *api.QueryMeta, error) {
	f.mu.Lock()
	f.lists = append(f.lists, q.WaitIndex)
	for q.WaitIndex > 0 && f.index <= q.WaitIndex {
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-q.Context.Done():
			return nil, nil, q.Context.Err()
		}
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if f.down {
		return nil, nil, errors.New("connection refused")
	}
	var regs []*structs.ServiceRegistration
	for _, r := range f.regs {
		regs = append(regs, r)
	}
	return structs.ServiceStubs(regs), &api.QueryMeta{LastIndex: f.index}, nil
}

func (f *fakeCatalog) Get(name string, q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.down {
		return nil, nil, errors.New("connection refused")
	}
	out := []*structs.ServiceRegistration{}
	for _, r := range f.regs {
		if r.ServiceName == name && (q.Namespace == "*" || q.Namespace == r.Namespace) {
			out = append(out, r.Copy())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, &api.QueryMeta{LastIndex: f.index}, nil
}

// fakeBulk is a fakeCatalog that also answers Instances.
type fakeBulk struct{ *fakeCatalog }

var _ BulkCatalog = fakeBulk{}

func (f fakeBulk) Instances(q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	_, meta, err := f.List(q) // waits like List
	if err != nil {
		return nil, nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*structs.ServiceRegistration
	for _, r := range f.regs {
		out = append(out, r.Copy())
	}
	return out, meta, nil
}

// fakeTarget records the configurations it is given.
type fakeTarget struct {
	mu   sync.Mutex
	cfgs []*config.Config
	ch   chan struct{} // closed and replaced on every update
}

var _ Target = (*fakeTarget)(nil)

func newFakeTarget() *fakeTarget { return &fakeTarget{ch: make(chan struct{})} }

func (t *fakeTarget) Update(cfg *config.Config) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfgs = append(t.cfgs, cfg)
	close(t.ch)
	t.ch = make(chan struct{})
}

// last returns the latest configuration, the number of updates, and a
// channel closed on the next update.
func (t *fakeTarget) last() (*config.Config, int, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cfgs) == 0 {
		return nil, 0, t.ch
	}
	return t.cfgs[len(t.cfgs)-1], len(t.cfgs), t.ch
}

func reg(id, name string, port int, health string, tags ...string) *structs.ServiceRegistration {
	r := &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", Address: "127.0.0.1", Port: port, Tags: tags}
	if health != "" {
		r.Checks = []*structs.CheckStatus{{ID: "c", Name: "c", Type: "tcp", Status: health}}
	}
	return r
}

// runWatcher starts a watcher on cat until the test ends.
func runWatcher(ctx context.Context, cat Catalog, tgt Target, o Options) (*Watcher, <-chan error) {
	o.Catalog, o.Target = cat, tgt
	if o.Build.Domain == "" {
		o.Build = config.Options{Domain: "minipot", ExposedByDefault: true, EntryPoints: []string{"web"}}
	}
	w := New(o)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return w, done
}
