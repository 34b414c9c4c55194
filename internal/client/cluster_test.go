package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// testServer is a real in-process server over the in-memory store.
type testServer struct {
	t     *testing.T
	store *memstore.Store
	http  *httptest.Server
	api   *api.Client

	mu   sync.Mutex
	hits map[string]int // requests by "METHOD path"
}

// countHits counts requests by method and path.
func (ts *testServer) countHits(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.hits[r.Method+" "+r.URL.Path]++
		ts.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// hitCount returns how many requests reached "METHOD path".
func (ts *testServer) hitCount(key string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.hits[key]
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer serves a leading server on ln (a random port when nil).
func startServer(t *testing.T, ln net.Listener, mod func(*server.Config)) *testServer {
	t.Helper()
	st := memstore.New()
	cfg := server.Config{Store: st, Logger: discardLogger()}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	ts := &testServer{t: t, store: st, hits: map[string]int{}}
	hs := httptest.NewUnstartedServer(ts.countHits(srv.Handler()))
	if ln != nil {
		hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Start()
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		cancel()
		<-done
		_ = st.Close()
	})
	ac, err := api.NewClient(&api.Config{Address: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	ts.http, ts.api = hs, ac
	waitFor(t, "server leadership", func() bool {
		resp, err := http.Get(hs.URL + "/v1/agent/self")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"leader":"true"`)
	})
	return ts
}

// lockedBuffer is a log sink tests read while the client writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testClient is a running client agent.
type testClient struct {
	*Client
	logs   *lockedBuffer
	cancel context.CancelFunc
	done   chan struct{}
}

// startClient runs a client on dataDir with the given driver.
func startClient(t *testing.T, servers []string, dataDir string, d drivers.Driver, mod func(*Config)) *testClient {
	t.Helper()
	logs := &lockedBuffer{}
	cfg := Config{Servers: servers, DataDir: dataDir, NodeName: "test-node", Datacenter: "dc1",
		Drivers: []drivers.Driver{d}, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		UpdateInterval: 10 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		BlockingWait: 10 * time.Second, HostEnv: map[string]string{"PATH": "/usr/bin:/bin"}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tc := &testClient{Client: c, logs: logs, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(tc.done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("client Run: %v", err)
		}
	}()
	t.Cleanup(tc.stop)
	return tc
}

// waitRegistered waits until the node registered. Tests register jobs
// after it: a job evaluated while the node registers can stay blocked
// (a server-side race, see the report).
func (tc *testClient) waitRegistered(t *testing.T) {
	t.Helper()
	select {
	case <-tc.Registered():
	case <-time.After(10 * time.Second):
		t.Fatalf("client did not register; logs:\n%s", tc.logs.String())
	}
}

// stop ends Run (tasks keep running) and waits for it.
func (tc *testClient) stop() {
	tc.cancel()
	select {
	case <-tc.done:
	case <-time.After(10 * time.Second):
		panic("client Run did not return within 10s of its context ending")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testJob is a one-group job of jobType with count tasks on the fake
// driver; restarts and reschedules are off unless the test sets them.
func testJob(id, jobType string, count int, config map[string]any) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Type: jobType, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "g", Count: count,
			Networks:         []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http", To: 80}}}},
			RestartPolicy:    &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: "fail"},
			ReschedulePolicy: &structs.ReschedulePolicy{Attempts: 0, Interval: time.Minute, Delay: time.Hour, DelayFunction: "constant"},
			Tasks: []*structs.Task{{
				Name: "web", Driver: fake.Name, Config: config, KillTimeout: time.Second,
				Resources: &structs.Resources{CPU: 100, MemoryMB: 32},
				Env:       map[string]string{"LISTEN": "${NOMAD_ADDR_http}"},
			}},
		}},
	}
}

func (ts *testServer) register(job *structs.Job) {
	ts.t.Helper()
	if _, err := ts.api.Jobs().Register(job, nil); err != nil {
		ts.t.Fatalf("register job %s: %v", job.ID, err)
	}
}

// allocs returns the job's allocations with their task states.
func (ts *testServer) allocs(jobID string) []*structs.Allocation {
	ts.t.Helper()
	var out []*structs.Allocation
	for _, a := range ts.store.Snapshot().AllocsByJob("default", jobID) {
		out = append(out, a)
	}
	return out
}

// waitAllocs waits until the job has n allocations in client status
// status and returns them.
func (ts *testServer) waitAllocs(jobID string, n int, status string) []*structs.Allocation {
	ts.t.Helper()
	var got []*structs.Allocation
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = got[:0]
		for _, a := range ts.allocs(jobID) {
			if a.ClientStatus == status {
				got = append(got, a)
			}
		}
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, a := range ts.allocs(jobID) {
				fmt.Fprintf(&b, "  %s %s desired=%s client=%s tasks:", a.ID, a.Name, a.DesiredStatus, a.ClientStatus)
				for name, st := range a.TaskStates {
					fmt.Fprintf(&b, " %s=%s[%s]", name, st.State, eventTypes(st))
				}
				b.WriteString("\n")
			}
			for _, e := range ts.store.Snapshot().EvalsByJob("default", jobID) {
				fmt.Fprintf(&b, "  eval %s %s %s %s\n", e.ID, e.TriggeredBy, e.Status, e.StatusDescription)
			}
			ts.t.Fatalf("timed out waiting for %d allocations of %s %s; allocations and evaluations:\n%s", n, jobID, status, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func eventTypes(st *structs.TaskState) string {
	if st == nil {
		return "<no state>"
	}
	var out []string
	for _, e := range st.Events {
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}

func countEvents(st *structs.TaskState, typ string) int {
	n := 0
	for _, e := range st.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
