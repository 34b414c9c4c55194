package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/wharf-project/wharf/internal/testkit/fakenode"
)

const seedJob = "../../examples/nginx.job"

// startNodes registers n fake nodes with the pot driver in minipot that
// report their allocations running.
func startNodes(t *testing.T, c *api.Client, n int) []*fakenode.Runner {
	t.Helper()
	var out []*fakenode.Runner
	for i := 0; i < n; i++ {
		r, err := fakenode.Start(context.Background(), c, fakenode.NewNode("node"+string(rune('a'+i)), "minipot", "pot"),
			fakenode.Options{MarkRunning: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Stop)
		out = append(out, r)
	}
	return out
}

// TestRunSeedJobAndRestart runs the seed job through the CLI on a server
// with embedded etcd, restarts the server on the same data dir, and checks
// that every job, version, allocation, evaluation and node is still there
// with the same indexes.
func TestRunSeedJobAndRestart(t *testing.T) {
	dataDir := t.TempDir()
	a := startAgent(t, "-server", "-data-dir", dataDir, "-dc", "minipot")
	c := a.client(t)
	startNodes(t, c, 2)

	out, code := run(t, a.addr, "job", "run", seedJob)
	if code != 0 || !strings.Contains(out, `finished with status "complete"`) || !strings.Contains(out, "Allocation") {
		t.Fatalf("job run exited %d:\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "the allocation to run", func() bool {
		allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "running"
	})
	out, code = run(t, a.addr, "job", "status", "nginx-minipot")
	if code != 0 || !regexp.MustCompile(`127\.0\.0\.1:(2\d{4}|3[01]\d{3}|32000)`).MatchString(out) || !strings.Contains(out, "running") {
		t.Fatalf("job status does not show a running allocation with its dynamic port (%d):\n%s", code, out)
	}
	out, code = run(t, a.addr, "job", "scale", "nginx-minipot", "group1", "2")
	if code != 0 {
		t.Fatalf("job scale exited %d:\n%s", code, out)
	}
	// The scale returns once its evaluation placed the new allocation; a
	// fake node reports it running a moment later. Dumped before that
	// write, the state would differ from the one the restart reads.
	waitFor(t, 10*time.Second, "both allocations to run and every evaluation to end", func() bool {
		return settled(c, "nginx-minipot", 2)
	})
	before := dump(t, a.addr)
	a.stop(t)

	a2 := startAgent(t, "-server", "-data-dir", dataDir, "-dc", "minipot")
	after := dump(t, a2.addr)
	for path, b := range before {
		if after[path] != b {
			t.Errorf("%s changed across the restart:\nbefore %s\nafter  %s", path, b, after[path])
		}
	}
}

// dump reads the API answers a restart must not change.
// settled reports whether job has n allocations, all running, and no
// evaluation still pending or blocked: nothing more is written for it.
func settled(c *api.Client, job string, n int) bool {
	allocs, _, err := c.Jobs().Allocations(job, false, nil)
	if err != nil || len(allocs) != n {
		return false
	}
	for _, a := range allocs {
		if a.ClientStatus != "running" {
			return false
		}
	}
	evals, _, err := c.Jobs().Evaluations(job, nil)
	if err != nil {
		return false
	}
	for _, e := range evals {
		if e.Status == "pending" || e.Status == "blocked" {
			return false
		}
	}
	return true
}

func dump(t *testing.T, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range []string{"/v1/job/nginx-minipot", "/v1/job/nginx-minipot/versions",
		"/v1/job/nginx-minipot/allocations", "/v1/job/nginx-minipot/evaluations", "/v1/nodes"} {
		var v any
		getJSON(t, addr+p, &v)
		stripVolatile(v)
		b, _ := json.Marshal(v)
		out[p] = string(b)
	}
	return out
}

// stripVolatile drops fields that legitimately change over a restart
// (heartbeat-driven node status times).
func stripVolatile(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "StatusUpdatedAt")
		for _, e := range x {
			stripVolatile(e)
		}
	case []any:
		for _, e := range x {
			stripVolatile(e)
		}
	}
}

// TestNomadClientAgainstAgent drives the real agent with Nomad's Go client.
func TestNomadClientAgainstAgent(t *testing.T) {
	a := startAgent(t, "-dev")
	startNodes(t, a.client(t), 1)
	c, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(seedJob)
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.Jobs().ParseHCL(string(src), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a running allocation", func() bool {
		allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "running"
	})
	got, _, err := c.Jobs().Info("nginx-minipot", nil)
	if err != nil || *got.Status != "running" || got.TaskGroups[0].Tasks[0].Config["command"] != "nginx" {
		t.Fatalf("job info: %v %+v", err, got)
	}
}

// TestExternalEtcd points a server at an etcd cluster it does not run.
func TestExternalEtcd(t *testing.T) {
	ctx := context.Background()
	ext, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	a := startAgent(t, "-server", "-etcd-endpoints", strings.Join(ext.Endpoints(), ","))
	out, code := run(t, a.addr, "job", "run", "-detach", seedJob)
	if code != 0 {
		t.Fatalf("job run -detach exited %d:\n%s", code, out)
	}
	cli, err := clientFor(ext.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(ctx, "/wharf/v1/jobs/default/nginx-minipot")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("job not stored in the external etcd: %v %v", err, resp)
	}
	a.stop(t)
	a2 := startAgent(t, "-server", "-etcd-endpoints", strings.Join(ext.Endpoints(), ","))
	if out, code := run(t, a2.addr, "job", "status", "nginx-minipot"); code != 0 {
		t.Fatalf("job lost after restart on external etcd (%d):\n%s", code, out)
	}
}

// TestNodeLossReplacesAllocations kills a fake node's heartbeats; the real
// agent marks it down and places the allocation on the other node.
func TestNodeLossReplacesAllocations(t *testing.T) {
	cfg := serverConfig(t, "200ms")
	a := startAgent(t, "-config", cfg)
	c := a.client(t)
	nodes := startNodes(t, c, 1)
	if _, code := run(t, a.addr, "job", "run", seedJob); code != 0 {
		t.Fatal("job run failed")
	}
	allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
	if err != nil || len(allocs) != 1 || allocs[0].NodeID != nodes[0].Node.ID {
		t.Fatalf("allocation not on the first node: %v %+v", err, allocs)
	}
	second := startNodes(t, c, 1)[0]
	nodes[0].Stop()
	waitFor(t, 15*time.Second, "a replacement on the second node", func() bool {
		allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
		if err != nil {
			return false
		}
		var lost, onSecond int
		for _, al := range allocs {
			if al.ClientStatus == structs.AllocClientStatusLost {
				lost++
			}
			if al.NodeID == second.Node.ID && al.DesiredStatus == "run" {
				onSecond++
			}
		}
		return lost == 1 && onSecond == 1
	})
	out, _ := run(t, a.addr, "node", "status")
	if !strings.Contains(out, "down") {
		t.Errorf("node status does not show the dead node down:\n%s", out)
	}
}

// TestValidateReportsEveryProblem runs `wharf job validate` on a broken file.
func TestValidateReportsEveryProblem(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.nomad")
	if err := os.WriteFile(bad, []byte(`job "x" {
  group "g" {
    count = -1
    task "t" {
      resources { cpu = "lots" }
    }
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, "http://127.0.0.1:1", "job", "validate", bad)
	if code != 1 {
		t.Fatalf("validate exited %d:\n%s", code, out)
	}
	for _, want := range []string{"bad.nomad:3:", "bad.nomad:5:", "driver"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

// TestDevAgentLeavesNothing checks -dev removes its throw-away data dir.
func TestDevAgentLeavesNothing(t *testing.T) {
	a := startAgent(t, "-dev")
	m := regexp.MustCompile(`Data dir: (\S+)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the agent did not print its data dir:\n%s", a.out)
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatalf("data dir %s missing while running: %v", m[1], err)
	}
	a.stop(t)
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("dev data dir %s left behind (%v)", m[1], err)
	}
}
