package cluster

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// clientLocalBudget is how long a client's own endpoints may take to
// answer while the client is cut off from every server.
const clientLocalBudget = 2 * time.Second

// TestCutOffClientServesLogs cuts a client (ACLs off, its endpoints never
// asked before) off from every server: its logs and stats endpoints still
// answer within 2 s, the logs with the task's output.
func TestCutOffClientServesLogs(t *testing.T) {
	c, alloc := cutOffClient(t, false)
	cl := c.Clients[0]
	code, body, took := clientGet(t, cl, "/v1/client/fs/logs/"+alloc+"?task=t&type=stdout&plain=true", "")
	if code != http.StatusOK || !strings.Contains(body, "hello from the task") || took > clientLocalBudget {
		t.Errorf("logs of a cut-off client: %d %q after %s; want the task's output within %s", code, body, took, clientLocalBudget)
	}
	code, body, took = clientGet(t, cl, "/v1/client/allocation/"+alloc+"/stats", "")
	if code >= 500 || took > clientLocalBudget {
		t.Errorf("stats of a cut-off client: %d %q after %s; want an answer from the client within %s", code, body, took, clientLocalBudget)
	}
}

// TestCutOffClientChecksTokens does the same with ACLs on: a token the
// client resolved before the cut still reads the logs within 2 s; a token
// it never saw gets a 503 naming the cause within 2 s, not a hang and not
// a 403.
func TestCutOffClientChecksTokens(t *testing.T) {
	c, alloc := cutOffClient(t, true)
	cl := c.Clients[0]
	logs := "/v1/client/fs/logs/" + alloc + "?task=t&type=stdout&plain=true"
	code, body, took := clientGet(t, cl, logs, c.Token)
	if code != http.StatusOK || !strings.Contains(body, "hello from the task") || took > clientLocalBudget {
		t.Errorf("logs with a known token: %d %q after %s; want the output within %s", code, body, took, clientLocalBudget)
	}
	code, body, took = clientGet(t, cl, logs, "00000000-0000-4000-8000-000000000000")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot check the token with the servers") || took > clientLocalBudget {
		t.Errorf("logs with an unknown token: %d %q after %s; want 503 naming the cause within %s", code, body, took, clientLocalBudget)
	}
}

// cutOffClient starts one server and one client, runs a task that prints
// a line, reads its logs with the cluster's token when acl (so the client
// knows it), cuts the client off from the server and returns the
// allocation's ID.
func cutOffClient(t *testing.T, acl bool) (*harness.Cluster, string) {
	c := harness.New(t, harness.Options{Servers: 1, Clients: 1, ACL: acl})
	s, cl := c.Servers[0], c.Clients[0]
	s.Register(t, harness.RawExecJob("talker", "service", 1, "/bin/sh", "-c", "echo hello from the task; exec sleep 3600"))
	alloc := c.WaitRunning(t, s, "talker", 1, 30*time.Second)[0].ID
	if acl {
		c.WaitFor(t, 10*time.Second, "the logs through the client before the cut", func() bool {
			code, body, _ := clientGet(t, cl, "/v1/client/fs/logs/"+alloc+"?task=t&type=stdout&plain=true", c.Token)
			return code == http.StatusOK && strings.Contains(body, "hello")
		})
	} else {
		// Not through the client's API: it must not have been asked yet.
		out := filepath.Join(cl.DataDir, "alloc", alloc, "alloc", "logs", "t.stdout.0")
		c.WaitFor(t, 10*time.Second, "the task's output on disk", func() bool {
			b, _ := os.ReadFile(out)
			return strings.Contains(string(b), "hello")
		})
	}
	cl.Partition(s)
	return c, alloc
}

// clientGet sends GET path to the agent with token and returns the
// answer and how long it took; no answer within 10 s fails the test.
func clientGet(t *testing.T, a *harness.Agent, path, token string) (int, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s on %s: no answer: %v", path, a.Name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b), time.Since(start)
}
