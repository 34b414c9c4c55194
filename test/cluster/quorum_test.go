package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// answerBudget is how long any request may take on a server without an
// etcd quorum.
const answerBudget = 2 * time.Second

// reply is one timed HTTP answer.
type reply struct {
	code   int
	body   string
	header http.Header
	took   time.Duration
}

// timed sends a request and measures it; a request that gets no answer
// within twice the budget fails the test.
func timed(t *testing.T, method, url string, body []byte) reply {
	t.Helper()
	client := &http.Client{Timeout: 2 * answerBudget}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b), header: resp.Header, took: time.Since(start)}
}

// registerBody is the body of PUT /v1/jobs for a sleeping job.
func registerBody(t *testing.T, id string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Job": harness.SleepJob(id, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestQuorumLossAnswersFast kills 2 of 3 servers: the survivor answers
// every kind of request within 2 s, at once after the kill and once it
// knows the quorum is gone: reads from its own index with
// X-Nomad-KnownLeader false (also with ?stale), status/leader and writes
// with an error naming the cause, the CLI's job status from the index and
// its job run with that error and exit code 1. Once the two come back,
// writes work again without any other step.
func TestQuorumLossAnswersFast(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3})
	leader := c.Leader(t)
	leader.Register(t, harness.SleepJob("before", 1))
	var survivor *harness.Agent
	var killed []*harness.Agent
	for _, s := range c.Servers {
		if s != leader && survivor == nil {
			survivor = s
			continue
		}
		killed = append(killed, s)
	}
	c.WaitFor(t, 10*time.Second, "the survivor to list the job", func() bool {
		r := timed(t, "GET", survivor.HTTPAddr()+"/v1/job/before", nil)
		return r.code == 200
	})
	for _, s := range killed {
		s.Kill()
	}
	base := survivor.HTTPAddr()

	// At once after the kill: everything answers within the budget.
	checkAnswers(t, base, "right after the kill", false)
	// Once the survivor knows: the header and the errors say why.
	c.WaitFor(t, 10*time.Second, "the survivor to know it has no quorum", func() bool {
		r := timed(t, "GET", base+"/v1/status/leader", nil)
		return strings.Contains(r.body, "no etcd quorum")
	})
	checkAnswers(t, base, "with the quorum known lost", true)

	file := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(file, registerBody(t, "cli-job"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, code := c.CLI(t, survivor, "job", "status", "before")
	if code != 0 || !strings.Contains(out, "before") || time.Since(start) > answerBudget+time.Second {
		t.Fatalf("job status without quorum: exit %d after %s:\n%s", code, time.Since(start), out)
	}
	hcl := filepath.Join(t.TempDir(), "job.hcl")
	if err := os.WriteFile(hcl, []byte(cliJob), 0o600); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	out, code = c.CLI(t, survivor, "job", "run", "-detach", hcl)
	if code != 1 || !strings.Contains(out, "no etcd quorum") || time.Since(start) > answerBudget+time.Second {
		t.Fatalf("job run without quorum: exit %d after %s, want 1 naming the quorum:\n%s", code, time.Since(start), out)
	}

	for _, s := range killed {
		s.Start()
	}
	c.WaitFor(t, 60*time.Second, "writes to work again", func() bool {
		r := timed(t, "PUT", base+"/v1/jobs", registerBody(t, "after"))
		return r.code == 200
	})
	leader = c.Leader(t)
	if r := timed(t, "GET", leader.HTTPAddr()+"/v1/job/before", nil); r.code != 200 {
		t.Fatalf("the job written before the loss is gone: %d %s", r.code, r.body)
	}
}

// cliJob is a job file for the CLI.
const cliJob = `job "cli-job" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
    }
  }
}
`

// checkAnswers sends one request of every kind to the server at base:
// each must answer within the budget; with known set, the answers must
// also say that there is no quorum.
func checkAnswers(t *testing.T, base, when string, known bool) {
	t.Helper()
	for _, tc := range []struct {
		method, path string
		body         []byte
		code         int    // expected once the loss is known
		want         string // in the body once the loss is known
	}{
		{"GET", "/v1/regions", nil, 200, "global"},
		{"GET", "/v1/agent/self", nil, 200, "Region"},
		{"GET", "/v1/jobs", nil, 200, "before"},
		{"GET", "/v1/jobs?stale", nil, 200, "before"},
		{"GET", "/v1/job/before", nil, 200, "before"},
		{"GET", "/v1/status/leader", nil, 500, "no etcd quorum"},
		{"GET", "/v1/status/peers", nil, 200, ""},
		{"PUT", "/v1/jobs", registerBody(t, "during"), 503, "no etcd quorum: 1 of 3 members reachable"},
	} {
		r := timed(t, tc.method, base+tc.path, tc.body)
		if r.took > answerBudget {
			t.Errorf("%s: %s %s took %s (answered %d %q)", when, tc.method, tc.path, r.took, r.code, r.body)
		}
		if !known {
			continue
		}
		if r.code != tc.code || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: %s %s answered %d %q, want %d with %q", when, tc.method, tc.path, r.code, r.body, tc.code, tc.want)
		}
		if r.header.Get("X-Nomad-KnownLeader") != "false" {
			t.Errorf("%s: %s %s: X-Nomad-KnownLeader %q, want false", when, tc.method, tc.path, r.header.Get("X-Nomad-KnownLeader"))
		}
	}
}
