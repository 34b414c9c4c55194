package client

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-project/wharf/internal/client/taskrunner"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// put sends a JSON PUT to base+path and returns the status and body.
func put(t *testing.T, base, path string, body any) (int, string) {
	t.Helper()
	buf, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, base+path, bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestAllocRestartAndSignal restarts a task through a server (which
// proxies to the node's advertised address) although its restart policy
// allows no restarts, then signals it: exit_on_signal makes the fake task
// end, which proves the driver got the signal.
func TestAllocRestartAndSignal(t *testing.T) {
	ts := startServer(t, nil, nil)
	var handler atomic.Value
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(node.Close)
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), func(cfg *Config) {
		cfg.HTTPAddr = strings.TrimPrefix(node.URL, "http://")
	})
	handler.Store(c.Handler())
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 1, map[string]any{"exit_on_signal": "SIGUSR1", "exit_code": 0}))
	a := ts.waitAllocs("web", 1, structs.AllocClientStatusRunning)[0]
	tr := c.AllocRunner(a.ID).Tasks()[0]
	first := tr.Handle()

	if code, body := put(t, ts.http.URL, "/v1/client/allocation/"+a.ID+"/restart", RestartRequest{TaskName: "web"}); code != http.StatusOK {
		t.Fatalf("restart: %d %s", code, body)
	}
	waitFor(t, "the task to run again", func() bool {
		h := tr.Handle()
		return h != nil && h != first && tr.State().State == structs.TaskStateRunning
	})
	st := tr.State()
	if countEvents(st, taskrunner.TaskRestartSignal) != 1 || st.Restarts != 1 || st.Failed {
		t.Fatalf("after restart: events %s restarts %d failed %v", eventTypes(st), st.Restarts, st.Failed)
	}

	if code, body := put(t, ts.http.URL, "/v1/client/allocation/"+a.ID+"/signal", SignalRequest{Task: "web", Signal: "SIGUSR1"}); code != http.StatusOK {
		t.Fatalf("signal: %d %s", code, body)
	}
	waitFor(t, "the signalled task to end", tr.IsDead)
	if st := tr.State(); countEvents(st, structs.TaskSignaling) != 1 {
		t.Fatalf("after signal: events %s", eventTypes(st))
	}
}

// TestAllocActionErrors covers what the node refuses.
func TestAllocActionErrors(t *testing.T) {
	ts := startServer(t, nil, nil)
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), nil)
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 1, map[string]any{"run_for": "1ms"}))
	a := ts.waitAllocs("web", 1, structs.AllocClientStatusFailed)[0]
	hs := httptest.NewServer(c.Handler())
	t.Cleanup(hs.Close)

	tests := []struct {
		name, path string
		body       any
		code       int
	}{
		{"unknown alloc", "/v1/client/allocation/nope/restart", RestartRequest{}, http.StatusNotFound},
		{"unknown task", "/v1/client/allocation/" + a.ID + "/signal", SignalRequest{Task: "db", Signal: "SIGHUP"}, http.StatusNotFound},
		{"dead task restart", "/v1/client/allocation/" + a.ID + "/restart", RestartRequest{TaskName: "web"}, http.StatusConflict},
		{"dead task signal", "/v1/client/allocation/" + a.ID + "/signal", SignalRequest{Signal: "SIGHUP"}, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := put(t, hs.URL, tt.path, tt.body); code != tt.code {
				t.Errorf("status %d (%s), want %d", code, body, tt.code)
			}
		})
	}
}
