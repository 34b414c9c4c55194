package cluster

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestFrozenServersCountAsUnreachable freezes servers (SIGSTOP: their
// kernels still accept connections, their processes answer nothing).
// One frozen follower shows as failed and unreachable in `wharf server
// members` within a few seconds; with both followers frozen, the leader
// refuses writes, once it knows, within 2 s saying that 1 of 3 members
// is reachable, not 3. Once they run again, writes work without any other step.
func TestFrozenServersCountAsUnreachable(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3})
	leader := c.Leader(t)
	c.WaitFor(t, 10*time.Second, "3 healthy members", func() bool { return healthy(t, leader, "s1", "s2", "s3") })
	var frozen []*harness.Agent
	for _, s := range c.Servers {
		if s != leader {
			frozen = append(frozen, s)
		}
	}
	first := frozen[0]
	first.Stop()
	row := regexp.MustCompile(regexp.QuoteMeta(first.Name) + `\.global\s.*failed.*unreachable`)
	c.WaitFor(t, 5*time.Second, first.Name+" unreachable in server members", func() bool {
		start := time.Now()
		out, code := c.CLI(t, leader, "server", "members")
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("server members took %s with %s frozen:\n%s", took, first.Name, out)
		}
		return code == 0 && row.MatchString(out)
	})
	if m := members(t, leader)[first.Name+".global"]; m == nil || m.Status != "failed" || m.Tags["etcd_health"] != "unreachable" {
		t.Fatalf("the frozen %s's member: %+v, want failed and unreachable", first.Name, m)
	}

	frozen[1].Stop()
	base := leader.HTTPAddr()
	quorumLost := "no etcd quorum: 1 of 3 members reachable"
	c.WaitFor(t, 20*time.Second, "the leader to know it has no quorum", func() bool {
		r := slowPut(t, base+"/v1/jobs", registerBody(t, "during"))
		return r.code == 503 && strings.Contains(r.body, quorumLost)
	})
	for range 3 {
		if r := timed(t, "PUT", base+"/v1/jobs", registerBody(t, "during")); r.code != 503 ||
			!strings.Contains(r.body, quorumLost) || r.took > answerBudget {
			t.Errorf("a write with 2 of 3 servers frozen: %d %q after %s; want 503 %q within %s", r.code, r.body, r.took, quorumLost, answerBudget)
		}
	}
	for _, s := range frozen {
		s.Cont()
	}
	c.WaitFor(t, 60*time.Second, "writes to work again", func() bool {
		return timed(t, "PUT", base+"/v1/jobs", registerBody(t, "after")).code == 200
	})
}

// slowPut is a PUT that may take up to 20 s (a write waiting for etcd
// while the loss of its quorum is not known yet); no answer fails the
// test.
func slowPut(t *testing.T, url string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("PUT %s: no answer: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b), header: resp.Header, took: time.Since(start)}
}
