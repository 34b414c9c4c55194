package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestClientRequestsReachTheAllocationsNode(t *testing.T) {
	ts := newTestServer(t, nil)
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "remote "+r.URL.Path+" task="+r.URL.Query().Get("task"))
	}))
	defer remote.Close()
	far := fakeNode("far", "dc1", "raw_exec")
	far.HTTPAddr = strings.TrimPrefix(remote.URL, "http://")
	ts.registerNode(far)
	ts.waitEval(ts.register(testJob("logs", 1, "raw_exec")).EvalID)
	alloc := ts.liveAllocs("logs")[0]

	code, body := ts.do("GET", "/v1/client/fs/logs/"+alloc.ID+"?task=server", nil, nil)
	if code != 200 || body != "remote /v1/client/fs/logs/"+alloc.ID+" task=server" {
		t.Fatalf("proxied answer: %d %q", code, body)
	}

	ts.srv.SetLocalClient(far.ID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "local")
	}))
	if code, body := ts.do("GET", "/v1/client/fs/logs/"+alloc.ID, nil, nil); code != 200 || body != "local" {
		t.Fatalf("local answer: %d %q", code, body)
	}

	if code, _ := ts.do("GET", "/v1/client/fs/logs/nope", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown allocation: %d", code)
	}
	ts.srv.SetLocalClient("", nil)
	if _, err := ts.store.UpdateNodeStatus(t.Context(), far.ID, structs.NodeStatusDown, nil); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.do("GET", "/v1/client/fs/logs/"+alloc.ID, nil, nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "down") {
		t.Errorf("node down: %d %q", code, body)
	}
}
