package consulapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// fixture is an API over a memstore with one ready node "n1" and one
// down node "n2".
type fixture struct {
	store *memstore.Store
	srv   *Server
	http  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	for _, n := range []*structs.Node{
		{ID: "node-1", Name: "n1", Datacenter: "dc1", Status: structs.NodeStatusReady,
			Attributes: map[string]string{"unique.network.ip-address": "10.0.0.1"}},
		{ID: "node-2", Name: "n2", Datacenter: "dc1", Status: structs.NodeStatusDown, HTTPAddr: "10.0.0.2:4646"},
	} {
		if _, err := st.UpsertNode(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Config{Store: st, Datacenter: "dc1", LocalNodeID: func() string { return "node-1" },
		Leader: func(context.Context) (string, error) { return "127.0.0.1:4646", nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &fixture{store: st, srv: srv, http: hs}
}

// reg is a task registration on node with the given check statuses.
func reg(id, name, node, addr string, port int, tags []string, statuses ...string) *structs.ServiceRegistration {
	r := &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", NodeID: node,
		Datacenter: "dc1", JobID: "job", AllocID: "alloc-" + id, Task: "web", Tags: tags, Address: addr, Port: port}
	for i, s := range statuses {
		r.Checks = append(r.Checks, &structs.CheckStatus{ID: "c" + string(rune('0'+i)), Name: "check", Type: "tcp", Status: s})
	}
	return r
}

func (f *fixture) put(t *testing.T, regs ...*structs.ServiceRegistration) uint64 {
	t.Helper()
	idx, err := f.store.UpsertServiceRegistrations(context.Background(), regs)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// do sends a request and returns the status, the body and the headers.
func (f *fixture) do(t *testing.T, method, path, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// get decodes a 200 JSON answer into out.
func (f *fixture) get(t *testing.T, path string, out any) http.Header {
	t.Helper()
	code, body, h := f.do(t, "GET", path, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return h
}
