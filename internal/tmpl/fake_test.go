package tmpl

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeCatalog serves /v1/services, /v1/service/:name and /v1/nodes from
// memory with X-Nomad-Index and blocking-query semantics: a read whose
// index is at or above the catalog's waits for a change, its wait time or
// the client to leave.
type fakeCatalog struct {
	srv *httptest.Server

	mu      sync.Mutex
	index   uint64
	regs    map[string]*structs.ServiceRegistration
	nodes   []*structs.NodeListStub
	changed chan struct{}  // closed on the next change
	failing bool           // answer 500 to every read
	waiting map[string]int // blocked reads by path
	reads   []fakeRead
}

// fakeRead is one request the fake answered: its path and ?index.
type fakeRead struct {
	path  string
	index uint64
}

func newFakeCatalog(t testing.TB) *fakeCatalog {
	t.Helper()
	f := &fakeCatalog{index: 10, regs: map[string]*structs.ServiceRegistration{}, changed: make(chan struct{}),
		waiting: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/services", f.serve(func(*http.Request) any {
		return structs.ServiceStubs(f.sorted(""))
	}))
	mux.HandleFunc("GET /v1/service/{name}", f.serve(func(r *http.Request) any {
		return f.sorted(r.PathValue("name"))
	}))
	mux.HandleFunc("GET /v1/nodes", f.serve(func(*http.Request) any { return f.nodes }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCatalog) client(t testing.TB) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serve answers a read with body, after blocking when asked to.
func (f *fakeCatalog) serve(body func(*http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		index, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
		wait, err := time.ParseDuration(r.URL.Query().Get("wait"))
		if err != nil {
			wait = 5 * time.Minute
		}
		f.block(r, index, wait)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reads = append(f.reads, fakeRead{path: r.URL.Path, index: index})
		if f.failing {
			http.Error(w, "catalog unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("X-Nomad-Index", strconv.FormatUint(f.index, 10))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body(r))
	}
}

func (f *fakeCatalog) block(r *http.Request, index uint64, wait time.Duration) {
	f.mu.Lock()
	cur, ch := f.index, f.changed
	f.mu.Unlock()
	if index == 0 || index < cur {
		return
	}
	f.mu.Lock()
	f.waiting[r.URL.Path]++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.waiting[r.URL.Path]--
		f.mu.Unlock()
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	case <-r.Context().Done():
	}
}

// sorted is the registrations of service name ("" for all) by ID; the
// caller holds f.mu.
func (f *fakeCatalog) sorted(name string) []*structs.ServiceRegistration {
	out := []*structs.ServiceRegistration{}
	for _, r := range f.regs {
		if name == "" || r.ServiceName == name {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// update changes the catalog under a new index and wakes blocked reads.
func (f *fakeCatalog) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeCatalog) register(regs ...*structs.ServiceRegistration) {
	f.update(func() {
		for _, r := range regs {
			f.regs[r.ID] = r
		}
	})
}

func (f *fakeCatalog) deregister(ids ...string) {
	f.update(func() {
		for _, id := range ids {
			delete(f.regs, id)
		}
	})
}

func (f *fakeCatalog) setFailing(b bool) {
	f.mu.Lock()
	f.failing = b
	f.mu.Unlock()
}

// blocked is how many reads of path wait for a change now.
func (f *fakeCatalog) blocked(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting[path]
}

// readsOf returns the reads of path so far.
func (f *fakeCatalog) readsOf(path string) []fakeRead {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRead
	for _, r := range f.reads {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// reg is an instance of service name with one check in status.
func reg(id, name, addr string, port int, status string, tags ...string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", NodeID: "node-" + id,
		Datacenter: "dc1", JobID: name, Tags: tags, Address: addr, Port: port,
		Checks: []*structs.CheckStatus{{ID: "alive", Name: "alive", Type: "tcp", Status: status}}}
}
