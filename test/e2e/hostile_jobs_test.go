package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxAgentRSS is the resident memory a -dev agent must stay under while
// it refuses hostile jobs. A count of 1e8 used to grow it by ~400 MB/s and
// 3,000 groups to 7-9 GB.
const maxAgentRSS = 1 << 30

// hostileJob returns a Nomad-shaped job: groups groups of tasks raw_exec
// tasks each, every group with count; mod may change the job map.
func hostileJob(id string, groups, tasks int, count int64, mod func(job map[string]any)) map[string]any {
	var tgs []any
	for g := range groups {
		var ts []any
		for i := range tasks {
			ts = append(ts, map[string]any{
				"Name": fmt.Sprintf("t%d", i), "Driver": "raw_exec",
				"Config":    map[string]any{"command": "/bin/sleep", "args": []any{"3600"}},
				"Resources": map[string]any{"CPU": 20, "MemoryMB": 16},
			})
		}
		tgs = append(tgs, map[string]any{"Name": fmt.Sprintf("g%d", g), "Count": count, "Tasks": ts})
	}
	job := map[string]any{"ID": id, "Name": id, "Type": "service", "Datacenters": []any{"*"}, "TaskGroups": tgs}
	if mod != nil {
		mod(job)
	}
	return job
}

func task0(job map[string]any) map[string]any {
	return job["TaskGroups"].([]any)[0].(map[string]any)["Tasks"].([]any)[0].(map[string]any)
}

// put sends body (a string, or a value to marshal) and returns the
// status and the answer.
func put(t *testing.T, url string, body any) (int, string) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	req, err := http.NewRequest("PUT", url, strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// agentRSS is the agent process's resident set size in bytes (Linux).
func agentRSS(t *testing.T, a *agentProc) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// alive fails the test when the agent exited or stopped answering.
func alive(t *testing.T, a *agentProc, after string) {
	t.Helper()
	select {
	case <-a.done:
		t.Fatalf("agent exited after %s: %v\n%s", after, a.err, a.out)
	default:
	}
	resp, err := http.Get(a.addr + "/v1/status/leader")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("agent does not answer after %s: %v", after, err)
	}
	resp.Body.Close()
}

// deepHCL is a 200 KB job file nested 100,000 deep.
func deepHCL() string {
	return `job "deep" {` + "\n  meta = { a = " + strings.Repeat("[", 100_000) + "1" + strings.Repeat("]", 100_000) + " }\n}\n"
}

// doublingLocals is a job file whose locals double a 1,000 byte string n
// times.
func doublingLocals(n int) string {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = \"" + strings.Repeat("x", 1000) + "\"\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  l%d = \"${local.l%d}${local.l%d}\"\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "}\njob \"x\" {\n  meta = { a = local.l%d }\n}\n", n)
	return b.String()
}

// runningJob registers a one-task raw_exec job and waits until it runs.
func runningJob(t *testing.T, a *agentProc, id string) {
	t.Helper()
	if code, out := put(t, a.addr+"/v1/jobs", map[string]any{"Job": hostileJob(id, 1, 1, 1, nil)}); code != 200 {
		t.Fatalf("register %s: %d %s", id, code, out)
	}
	waitFor(t, 30*time.Second, id+" to run", func() bool {
		var allocs []struct{ ClientStatus string }
		getJSON(t, a.addr+"/v1/job/"+id+"/allocations", &allocs)
		return len(allocs) == 1 && allocs[0].ClientStatus == "running"
	})
}

// TestHostileJobs sends the job API what used to crash, exhaust or slip
// past a -dev agent, and checks each is refused with a 4xx naming the
// problem, the agent stays up within bounded memory, nothing stored is
// lost, and a restart on the same data dir works.
func TestHostileJobs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the agent's memory from /proc")
	}
	dataDir := t.TempDir()
	consul := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	a := startAgent(t, "-dev", "-data-dir", dataDir, "-consul-port", strings.TrimPrefix(consul, "http://127.0.0.1:"))
	runningJob(t, a, "keeper")
	var before struct{ Version, JobModifyIndex uint64 }
	getJSON(t, a.addr+"/v1/job/keeper", &before)

	withTask := func(f func(task map[string]any)) func(map[string]any) {
		return func(job map[string]any) { f(task0(job)) }
	}
	register := a.addr + "/v1/jobs"
	tests := []struct {
		name, url string
		body      any
		code      int
		want      []string
	}{
		{"count at the int64 maximum", register, map[string]any{"Job": hostileJob("x", 1, 1, math.MaxInt64, nil)},
			400, []string{"Job.TaskGroups[0].Count", "9223372036854775807", "limits.job_max_count"}},
		{"count 1e8", register, map[string]any{"Job": hostileJob("x", 1, 1, 1e8, nil)},
			400, []string{"Job.TaskGroups[0].Count: count 100000000 is over the limit of 10000"}},
		{"3,000 groups", register, map[string]any{"Job": hostileJob("x", 3000, 1, 1, nil)},
			400, []string{"number of task groups 3000", "limits.job_max_groups"}},
		{"10,000 tasks", register, map[string]any{"Job": hostileJob("x", 100, 100, 1, nil)},
			400, []string{"number of tasks in the job 10000", "limits.job_max_tasks"}},
		{"1 MB of meta", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, func(j map[string]any) {
			j["Meta"] = map[string]any{"blob": strings.Repeat("m", 1<<20)}
		})}, 400, []string{"Job.Meta: size in bytes 1048580", "limits.meta_max_bytes"}},
		{"JSON nested 100,000 deep", register, `{"Job":{"Meta":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}}",
			400, []string{"nested deeper than the limit of 100", "limits.json_max_depth"}},
		{"5 MB job body", register, `{"Job":{"ID":"` + strings.Repeat("x", 5<<20) + `"}}`,
			413, []string{"limits.job_max_bytes"}},
		{"deep HCL to parse", a.addr + "/v1/jobs/parse", map[string]any{"JobHCL": deepHCL()},
			400, []string{"job.nomad.hcl:2:", "nested too deeply", "limits.hcl_max_depth"}},
		{"locals doubling to 4 GB", a.addr + "/v1/jobs/parse", map[string]any{"JobHCL": doublingLocals(22)},
			400, []string{"Value too large", "limit of 4194304 bytes"}},
		{"invalid pot network_mode", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Driver"] = "pot"
			task["Config"] = map[string]any{"image": "http://127.0.0.1:1/i", "pot": "p", "tag": "1", "network_mode": "vnet"}
		}))}, 400, []string{`TaskGroups["g0"].Tasks["t0"]`, `config.network_mode: "vnet" is not one of "bridge", "host"`}},
		{"invalid raw_exec key", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Config"] = map[string]any{"command": "/bin/true", "cmd": "x"}
		}))}, 400, []string{"config.cmd: unknown key"}},
		{"raw_exec args of the wrong type", a.addr + "/v1/job/x/plan", map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Config"] = map[string]any{"command": "/bin/echo", "args": "not a list"}
		}))}, 400, []string{`config.args: "not a list" is not a list`}},
		{"unknown driver", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Driver"] = "docker"
		}))}, 400, []string{`Driver: "docker": unknown driver`}},
		{"unknown job field", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, func(j map[string]any) { j["Prority"] = 50 })},
			400, []string{"unknown field: Job.Prority"}},
		{"unknown task field", a.addr + "/v1/validate/job", map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Envv"] = map[string]any{"A": "b"}
		}))}, 200, []string{"unknown field: Job.TaskGroups[0].Tasks[0].Envv"}},
		{"Nomad feature wharf lacks", register, map[string]any{"Job": hostileJob("x", 1, 1, 1, withTask(func(task map[string]any) {
			task["Vault"] = map[string]any{"Policies": []any{"p"}}
		}))}, 400, []string{"unsupported by wharf: Job.TaskGroups[0].Tasks[0].Vault"}},
		{"JSON nested 100,000 deep to the Consul-shaped API", consul + "/v1/agent/service/register",
			`{"Name":"db","Meta":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}",
			400, []string{"limits.json_max_depth"}},
		{"scale to the int64 maximum", a.addr + "/v1/job/keeper/scale", `{"Count": 9223372036854775807, "Target": {"Group": "g0"}}`,
			400, []string{"field Count", "limits.job_max_count"}},
	}
	var peak int64
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := put(t, tc.url, tc.body)
			if code != tc.code {
				t.Fatalf("%d %.400q, want %d", code, out, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("answer %.600q does not contain %q", out, w)
				}
			}
			alive(t, a, tc.name)
			peak = max(peak, agentRSS(t, a))
		})
	}
	t.Logf("agent RSS peak while refusing hostile jobs: %d MB", peak>>20)
	if peak > maxAgentRSS {
		t.Errorf("agent RSS reached %d MB, over %d MB", peak>>20, maxAgentRSS>>20)
	}

	// The CLI parses job files itself: the same file must not crash it.
	file := filepath.Join(t.TempDir(), "deep.nomad.hcl")
	if err := os.WriteFile(file, []byte(deepHCL()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"validate", "run"} {
		out, code := run(t, a.addr, "job", cmd, file)
		if code == 0 || !strings.Contains(out, "deep.nomad.hcl:2:") || !strings.Contains(out, "nested too deeply") || strings.Contains(out, "goroutine") {
			t.Errorf("wharf job %s of a deeply nested file exited %d:\n%.2000s", cmd, code, out)
		}
	}

	// Nothing refused was stored, nothing stored was lost, and the agent
	// still runs a normal job.
	var jobs []struct{ ID string }
	getJSON(t, a.addr+"/v1/jobs", &jobs)
	if len(jobs) != 1 || jobs[0].ID != "keeper" {
		t.Fatalf("jobs after the hostile requests: %+v", jobs)
	}
	var after struct{ Version, JobModifyIndex uint64 }
	getJSON(t, a.addr+"/v1/job/keeper", &after)
	if after != before {
		t.Fatalf("keeper changed: %+v, was %+v", after, before)
	}
	runningJob(t, a, "normal")

	a.stop(t)
	a2 := startAgent(t, "-dev", "-data-dir", dataDir)
	getJSON(t, a2.addr+"/v1/jobs", &jobs)
	if len(jobs) != 2 {
		t.Fatalf("jobs after the restart: %+v", jobs)
	}
	runningJob(t, a2, "after-restart")
}

// TestStoredJobOverLimitsSurvivesRestart stores a job whose count used to
// panic the scheduler (an agent configured with limits that let it in),
// then restarts the agent with the default limits on the same data dir:
// the agent must come up, fail the job's evaluations with the reason, show
// it in job status, and keep scheduling other jobs.
func TestStoredJobOverLimitsSurvivesRestart(t *testing.T) {
	dataDir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "limits.hcl")
	if err := os.WriteFile(cfg, []byte("limits {\n  job_max_count = 9223372036854775807\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-data-dir", dataDir, "-config", cfg)
	code, out := put(t, a.addr+"/v1/jobs", map[string]any{"Job": hostileJob("huge", 1, 1, math.MaxInt64, nil)})
	if code != 200 {
		t.Fatalf("register under raised limits: %d %s", code, out)
	}
	var reg struct{ EvalID string }
	if err := json.Unmarshal([]byte(out), &reg); err != nil {
		t.Fatal(err)
	}
	waitEvalFailed(t, a, reg.EvalID, "panicked")
	alive(t, a, "a scheduler panic")
	runningJob(t, a, "before-restart")

	a.stop(t)
	a2 := startAgent(t, "-dev", "-data-dir", dataDir)
	code, out = put(t, a2.addr+"/v1/job/huge/evaluate", "{}")
	if code != 200 {
		t.Fatalf("evaluate: %d %s", code, out)
	}
	if err := json.Unmarshal([]byte(out), &reg); err != nil {
		t.Fatal(err)
	}
	waitEvalFailed(t, a2, reg.EvalID, "job is over the server's limits")
	status, code := run(t, a2.addr, "job", "status", "huge")
	if code != 0 || !strings.Contains(status, "TaskGroups[0].Count") {
		t.Errorf("job status does not show why the job is not placed (%d):\n%s", code, status)
	}
	alive(t, a2, "evaluating a stored job over the limits")
	runningJob(t, a2, "after-restart")
}

func waitEvalFailed(t *testing.T, a *agentProc, id, want string) {
	t.Helper()
	var e struct{ Status, StatusDescription string }
	waitFor(t, 30*time.Second, "evaluation "+id+" to fail", func() bool {
		getJSON(t, a.addr+"/v1/evaluation/"+id, &e)
		return e.Status == "failed"
	})
	if !strings.Contains(e.StatusDescription, want) {
		t.Fatalf("evaluation failed with %q, want %q", e.StatusDescription, want)
	}
}
