package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// helloJob is examples/hello.job (raw_exec busybox httpd): fast to start
// on a dev agent, no images needed.
func helloJob(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/hello.job")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// namedJob is hello.job renamed to id.
func namedJob(t testing.TB, id string) string {
	t.Helper()
	return strings.Replace(helloJob(t), `job "hello"`, fmt.Sprintf("job %q", id), 1)
}

// apiCall sends a JSON request to the agent and decodes the answer into
// out (when not nil); non-2xx answers fail the test.
func (a *agentProc) apiCall(t testing.TB, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// registerHCL parses an HCL job with the agent and registers it.
func (a *agentProc) registerHCL(t testing.TB, hcl string) {
	t.Helper()
	var job map[string]any
	a.apiCall(t, http.MethodPost, "/v1/jobs/parse", map[string]any{"JobHCL": hcl, "Canonicalize": true}, &job)
	a.apiCall(t, http.MethodPut, "/v1/jobs", map[string]any{"Job": job}, nil)
}

// allocStub is the part of an allocation list entry the tests read.
type allocStub struct {
	ID           string
	TaskGroup    string
	ClientStatus string
	TaskStates   map[string]struct{ State string }
}

// runningAllocs returns the job's running allocations.
func (a *agentProc) runningAllocs(t testing.TB, job string) []allocStub {
	t.Helper()
	var all, running []allocStub
	a.apiCall(t, http.MethodGet, "/v1/job/"+job+"/allocations", nil, &all)
	for _, al := range all {
		if al.ClientStatus == "running" {
			running = append(running, al)
		}
	}
	return running
}

// waitRunning waits until the job has n running allocations and returns
// them.
func (a *agentProc) waitRunning(t testing.TB, job string, n int, d time.Duration) []allocStub {
	t.Helper()
	var got []allocStub
	waitFor(t, d, fmt.Sprintf("%d running allocations of %s", n, job), func() bool {
		got = a.runningAllocs(t, job)
		return len(got) == n
	})
	return got
}
