package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// testServer is a leading server over the in-memory store, served by an
// httptest server.
type testServer struct {
	t     testing.TB
	srv   *Server
	store state.Store
	http  *httptest.Server
}

func newTestServer(t *testing.T, mod func(*Config)) *testServer {
	t.Helper()
	st := memstore.New()
	cfg := Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		_ = st.Close()
	})
	ts := &testServer{t: t, srv: srv, store: st, http: hs}
	ts.waitFor("leadership", func() bool { return srv.isLeader() })
	return ts
}

// do sends a JSON request and decodes a JSON answer into out (if non-nil).
// It returns the status code and the raw body.
func (ts *testServer) do(method, path string, body, out any) (int, string) {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	return ts.send(req, out)
}

// send sends req and decodes a JSON answer into out (if non-nil).
func (ts *testServer) send(req *http.Request, out any) (int, string) {
	ts.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			ts.t.Fatalf("%s %s: decode %q: %v", req.Method, req.URL.Path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

// mustDo is do that fails the test on a non-200 answer.
func (ts *testServer) mustDo(method, path string, body, out any) {
	ts.t.Helper()
	if code, raw := ts.do(method, path, body, out); code != http.StatusOK {
		ts.t.Fatalf("%s %s: %d %s", method, path, code, raw)
	}
}

// waitFor polls cond until it holds or 10 s pass.
func (ts *testServer) waitFor(what string, cond func() bool) {
	ts.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			ts.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeNode returns a ready node with the given drivers.
func fakeNode(name, dc string, drivers ...string) *structs.Node {
	id := structs.GenerateUUID()
	n := &structs.Node{
		ID: id, SecretID: nodeSecret(id), Name: name, Datacenter: dc, Status: structs.NodeStatusReady,
		Attributes: map[string]string{"kernel.name": "linux", "unique.network.ip-address": "127.0.0.1", "cpu.arch": "amd64"},
		NodeResources: &structs.NodeResources{
			Cpu: structs.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4}, Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk: structs.NodeDiskResources{DiskMB: 100_000},
		},
		Drivers: map[string]*structs.DriverInfo{},
	}
	for _, d := range drivers {
		n.Drivers[d] = &structs.DriverInfo{Detected: true, Healthy: true}
	}
	return n
}

// nodeSecret is the secret fakeNode gives node id.
func nodeSecret(id string) string { return "secret-of-" + id }

// doAsNode is do with node nodeID's secret in the node secret header.
func (ts *testServer) doAsNode(nodeID, method, path string, body, out any) (int, string) {
	ts.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set(NodeSecretHeader, nodeSecret(nodeID))
	return ts.send(req, out)
}

// mustDoAsNode is doAsNode that fails the test on a non-200 answer.
func (ts *testServer) mustDoAsNode(nodeID, method, path string, body, out any) {
	ts.t.Helper()
	if code, raw := ts.doAsNode(nodeID, method, path, body, out); code != http.StatusOK {
		ts.t.Fatalf("%s %s as node %s: %d %s", method, path, nodeID, code, raw)
	}
}

func (ts *testServer) registerNode(n *structs.Node) *structs.NodeUpdateResponse {
	ts.t.Helper()
	var resp structs.NodeUpdateResponse
	ts.mustDo("PUT", "/v1/node/register", n, &resp)
	return &resp
}

// testJob is a service job with one group of count tasks on driver.
func testJob(id string, count int, driver string) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: count,
			Networks: []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http", To: 80}}}},
			Tasks: []*structs.Task{{
				Name: "server", Driver: driver, Config: map[string]any{"command": "/bin/true"},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
	}
}

func (ts *testServer) register(job *structs.Job) *structs.JobRegisterResponse {
	ts.t.Helper()
	var resp structs.JobRegisterResponse
	ts.mustDo("PUT", "/v1/jobs", map[string]any{"Job": job}, &resp)
	return &resp
}

// liveAllocs returns the job's allocations that are meant to run.
func (ts *testServer) liveAllocs(jobID string) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range ts.store.Snapshot().AllocsByJob("default", jobID) {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

// waitEval waits until the evaluation is terminal and returns it.
func (ts *testServer) waitEval(id string) *structs.Evaluation {
	ts.t.Helper()
	var e *structs.Evaluation
	ts.waitFor(fmt.Sprintf("evaluation %s to finish", id), func() bool {
		e = ts.store.Snapshot().Eval(id)
		return e != nil && e.TerminalStatus()
	})
	return e
}
