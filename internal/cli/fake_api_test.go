package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// testNow is the clock of every CLI test.
var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// fakeAPI is an in-memory stand-in for a wharf server: enough of the HTTP
// API for the CLI, with canned answers set by each test.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	jobs       map[string]*structs.Job
	summaries  map[string]*structs.JobSummary
	jobAllocs  map[string][]*structs.AllocListStub
	jobEvals   map[string][]*structs.Evaluation
	allocs     map[string]*structs.Allocation
	evalSeq    map[string][]*structs.Evaluation // successive answers to a GET of one eval
	evalAllocs map[string][]*structs.AllocListStub
	nodes      map[string]*structs.Node
	nodeAllocs map[string][]*structs.Allocation
	register   *structs.JobRegisterResponse
	plan       *structs.JobPlanResponse
	failWith   int                                // when set, every write answers this status
	stats      map[string]*api.AllocResourceUsage // by alloc ID; absent: 404
	services   []*structs.ServiceRegistration     // the catalog, any order

	registered []*structs.Job
	requests   []string // "METHOD /path?query"
	index      uint64
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t,
		jobs: map[string]*structs.Job{}, summaries: map[string]*structs.JobSummary{},
		jobAllocs: map[string][]*structs.AllocListStub{}, jobEvals: map[string][]*structs.Evaluation{},
		allocs: map[string]*structs.Allocation{}, evalSeq: map[string][]*structs.Evaluation{},
		evalAllocs: map[string][]*structs.AllocListStub{}, nodes: map[string]*structs.Node{},
		nodeAllocs: map[string][]*structs.Allocation{}, index: 100,
	}
	mux := http.NewServeMux()
	f.routes(mux)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.index++
		w.Header().Set("X-Nomad-Index", strconv.FormatUint(f.index, 10))
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		var out []*structs.JobListStub
		for _, id := range sortedKeys(f.jobs) {
			if strings.HasPrefix(id, r.URL.Query().Get("prefix")) {
				out = append(out, f.jobs[id].Stub(f.summaries[id]))
			}
		}
		f.reply(w, out)
	})
	mux.HandleFunc("PUT /v1/jobs", f.jobRegister)
	mux.HandleFunc("GET /v1/job/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.replyFound(w, f.jobs[r.PathValue("id")], "job")
	})
	mux.HandleFunc("DELETE /v1/job/{id}", f.writeReply(func(r *http.Request) any {
		return &structs.JobDeregisterResponse{EvalID: f.register.EvalID}
	}))
	mux.HandleFunc("GET /v1/job/{id}/summary", func(w http.ResponseWriter, r *http.Request) {
		f.replyFound(w, f.summaries[r.PathValue("id")], "job")
	})
	mux.HandleFunc("GET /v1/job/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, f.jobAllocs[r.PathValue("id")])
	})
	mux.HandleFunc("GET /v1/job/{id}/evaluations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, f.jobEvals[r.PathValue("id")])
	})
	mux.HandleFunc("POST /v1/job/{id}/plan", f.writeReply(func(*http.Request) any { return f.plan }))
	mux.HandleFunc("POST /v1/job/{id}/scale", f.writeReply(func(*http.Request) any { return f.register }))
	mux.HandleFunc("GET /v1/allocations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, prefixed(f.allocs, r, func(a *structs.Allocation) any { return a.Stub("service") }))
	})
	mux.HandleFunc("GET /v1/allocation/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.replyFound(w, f.allocs[r.PathValue("id")], "alloc")
	})
	mux.HandleFunc("GET /v1/client/allocation/{id}/stats", func(w http.ResponseWriter, r *http.Request) {
		if u, ok := f.stats[r.PathValue("id")]; ok {
			f.reply(w, u)
			return
		}
		http.Error(w, "unknown allocation on this node", http.StatusNotFound)
	})
	mux.HandleFunc("GET /v1/evaluations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, prefixed(f.evalSeq, r, func(s []*structs.Evaluation) any { return s[len(s)-1] }))
	})
	mux.HandleFunc("GET /v1/evaluation/{id}", f.evalInfo)
	mux.HandleFunc("GET /v1/evaluation/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, f.evalAllocs[r.PathValue("id")])
	})
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, prefixed(f.nodes, r, func(n *structs.Node) any { return n.Stub() }))
	})
	mux.HandleFunc("GET /v1/node/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.replyFound(w, f.nodes[r.PathValue("id")], "node")
	})
	mux.HandleFunc("GET /v1/node/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, f.nodeAllocs[r.PathValue("id")])
	})
	f.serviceRoutes(mux)
}

func (f *fakeAPI) jobRegister(w http.ResponseWriter, r *http.Request) {
	var req structs.JobRegisterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.registered = append(f.registered, req.Job)
	f.mu.Unlock()
	f.writeReply(func(*http.Request) any { return f.register })(w, r)
}

// evalInfo answers the next canned version of an evaluation; the last one
// repeats.
func (f *fakeAPI) evalInfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	seq := f.evalSeq[r.PathValue("id")]
	var e *structs.Evaluation
	if len(seq) > 0 {
		e = seq[0]
		if len(seq) > 1 {
			f.evalSeq[r.PathValue("id")] = seq[1:]
		}
	}
	f.mu.Unlock()
	f.replyFound(w, e, "eval")
}

func (f *fakeAPI) writeReply(body func(r *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.failWith != 0 {
			http.Error(w, "permission denied by test", f.failWith)
			return
		}
		f.reply(w, body(r))
	}
}

func (f *fakeAPI) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake API: encode: %v", err)
	}
}

// replyFound answers v, or 404 when v is a nil pointer.
func (f *fakeAPI) replyFound(w http.ResponseWriter, v any, kind string) {
	if isNil(v) {
		http.Error(w, kind+" not found", http.StatusNotFound)
		return
	}
	f.reply(w, v)
}

func isNil(v any) bool {
	switch x := v.(type) {
	case *structs.Job:
		return x == nil
	case *structs.JobSummary:
		return x == nil
	case *structs.Allocation:
		return x == nil
	case *structs.Evaluation:
		return x == nil
	case *structs.Node:
		return x == nil
	}
	return v == nil
}

// prefixed lists the values of m whose key starts with ?prefix=, sorted by key.
func prefixed[V any](m map[string]V, r *http.Request, conv func(V) any) []any {
	out := []any{}
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, r.URL.Query().Get("prefix")) {
			out = append(out, conv(m[k]))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// requested reports whether a request whose "METHOD /path?query" starts
// with prefix reached the server.
func (f *fakeAPI) requested(prefix string) bool { return f.count(prefix) > 0 }

// count is how many requests starting with prefix reached the server.
func (f *fakeAPI) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// result is what one CLI run printed and returned.
type result struct {
	out, err string
	code     int
}

// run runs the CLI against f with a fixed clock; jobs maps job file paths
// to what the (fake) parser returns.
func (f *fakeAPI) run(t *testing.T, jobs map[string]*structs.Job, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	m := newMeta(&out, &errOut)
	m.now = func() time.Time { return testNow }
	m.parseFile = fakeParser(jobs)
	code := m.run(append([]string{"-address=" + f.srv.URL}, args...))
	return result{out.String(), errOut.String(), code}
}

// fakeParser returns the job registered for a path, or a diagnostic.
func fakeParser(jobs map[string]*structs.Job) func(string) (*structs.Job, error) {
	return func(path string) (*structs.Job, error) {
		if j, ok := jobs[path]; ok {
			return j, nil
		}
		return nil, errors.New(path + ":3:5: Unsupported argument; An argument named \"cnt\" is not expected here.\n" +
			path + ":9:1: Missing required argument; The argument \"driver\" is required.")
	}
}

// nanos returns a Unix-nanosecond time d before testNow.
func nanos(d time.Duration) int64 { return testNow.Add(-d).UnixNano() }

// mustContain fails unless s contains every want.
func mustContain(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %q; got:\n%s", w, s)
		}
	}
}

// serviceRoutes serves the catalog's read endpoints from f.services.
func (f *fakeAPI) serviceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/services", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, structs.ServiceStubs(f.servicesMatching(r, "")))
	})
	mux.HandleFunc("GET /v1/service/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.reply(w, f.servicesMatching(r, r.PathValue("name")))
	})
}

// servicesMatching lists the registrations of the request's namespace
// ("*" for all) and of service name (any when ""), sorted by ID.
func (f *fakeAPI) servicesMatching(r *http.Request, name string) []*structs.ServiceRegistration {
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	out := []*structs.ServiceRegistration{}
	for _, reg := range f.services {
		if (ns == "*" || reg.Namespace == ns) && (name == "" || reg.ServiceName == name) {
			out = append(out, reg)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
