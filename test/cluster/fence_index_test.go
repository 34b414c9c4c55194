package cluster

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// indexPaths are the lists whose X-Nomad-Index a client that fails over
// between servers follows.
var indexPaths = []string{"/v1/allocations", "/v1/nodes", "/v1/jobs", "/v1/evaluations"}

// indexOf returns the X-Nomad-Index a server answers path with.
func indexOf(a *harness.Agent, path string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, a.HTTPAddr()+path+"?stale=true", nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %s", a.Name, path, resp.Status)
	}
	return resp.Header.Get("X-Nomad-Index"), nil
}

// indexesAgree reports whether every server answers each path with the
// same index, and describes them.
func indexesAgree(servers []*harness.Agent) (bool, string) {
	var b strings.Builder
	agree := true
	for _, p := range indexPaths {
		seen := map[string]bool{}
		fmt.Fprintf(&b, "%s:", p)
		for _, s := range servers {
			idx, err := indexOf(s, p)
			if err != nil {
				idx = err.Error()
			}
			seen[idx] = true
			fmt.Fprintf(&b, " %s=%s", s.Name, idx)
		}
		b.WriteString("\n")
		agree = agree && len(seen) == 1
	}
	return agree, b.String()
}

// TestIndexesAgreeAfterRestart: after jobs are placed, stopped, purged
// and collected (deletions), a follower restarted afterwards reports the
// same X-Nomad-Index for allocations, nodes, jobs and evaluations as the
// servers that watched every change, not the revision it loaded.
func TestIndexesAgreeAfterRestart(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 1})
	leader := c.Leader(t)
	follower := c.Servers[0]
	if follower == leader {
		follower = c.Servers[1]
	}
	follower.Register(t, harness.SleepJob("keep", 1))
	follower.Register(t, harness.SleepJob("gone", 1))
	c.WaitRunning(t, leader, "keep", 1, 30*time.Second)
	c.WaitRunning(t, leader, "gone", 1, 30*time.Second)
	if _, _, err := follower.NomadAPI().Jobs().Deregister("gone", true, nil); err != nil {
		t.Fatalf("purge: %v", err)
	}
	c.WaitFor(t, 30*time.Second, "the purged job's allocation to stop", func() bool {
		return len(leader.RunningAllocs("gone")) == 0
	})
	if err := follower.NomadAPI().System().GarbageCollect(); err != nil {
		t.Fatalf("system gc: %v", err)
	}
	var last string
	c.WaitFor(t, 10*time.Second, "every server to report the same indexes", func() bool {
		ok, desc := indexesAgree(c.Servers)
		last = desc
		return ok
	})
	t.Logf("before the restart:\n%s", last)

	follower.Restart()
	ok := false
	deadline := time.Now().Add(10 * time.Second)
	for !ok && time.Now().Before(deadline) {
		ok, last = indexesAgree(c.Servers)
		if !ok {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ok {
		t.Fatalf("after restarting %s the servers report different indexes:\n%s", follower.Name, last)
	}
	t.Logf("after restarting %s:\n%s", follower.Name, last)
}
