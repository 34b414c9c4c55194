package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// jobBody marshals a register body for job after mod changed it.
func jobBody(t *testing.T, mod func(j *structs.Job)) string {
	t.Helper()
	j := testJob("big", 1, "raw_exec")
	mod(j)
	b, err := json.Marshal(map[string]any{"Job": j})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func manyGroups(n int) func(j *structs.Job) {
	return func(j *structs.Job) {
		g := j.TaskGroups[0]
		j.TaskGroups = nil
		for i := range n {
			c := *g
			c.Name = fmt.Sprintf("g%d", i)
			j.TaskGroups = append(j.TaskGroups, &c)
		}
	}
}

func manyTasks(n int) func(j *structs.Job) {
	return func(j *structs.Job) {
		t := j.TaskGroups[0].Tasks[0]
		j.TaskGroups[0].Tasks = nil
		for i := range n {
			c := *t
			c.Name = fmt.Sprintf("t%d", i)
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, &c)
		}
	}
}

func TestJobLimitsRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.register(testJob("keep", 1, "raw_exec"))
	bigMeta := map[string]string{"k": strings.Repeat("m", 1<<20)}
	tests := []struct {
		name, path, body string
		code             int
		want             []string
	}{
		{"count at int64 max", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Count = math.MaxInt64 }),
			400, []string{"Job.TaskGroups[0].Count", "9223372036854775807", "limit of 10000", "limits.job_max_count"}},
		{"count 1e8", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Count = 1e8 }),
			400, []string{"Job.TaskGroups[0].Count", "100000000"}},
		{"count sum", "/v1/jobs", jobBody(t, func(j *structs.Job) {
			manyGroups(3)(j)
			for _, g := range j.TaskGroups {
				g.Count = 5000
			}
		}), 400, []string{"sum of the groups' counts 15000", "job_max_count"}},
		{"3000 groups", "/v1/jobs", jobBody(t, manyGroups(3000)),
			400, []string{"Job.TaskGroups: number of task groups 3000 is over the limit of 200", "limits.job_max_groups"}},
		{"tasks in a group", "/v1/jobs", jobBody(t, manyTasks(150)),
			400, []string{"Job.TaskGroups[0].Tasks: number of tasks in the group 150", "job_max_group_tasks"}},
		{"tasks in the job", "/v1/jobs", jobBody(t, func(j *structs.Job) {
			manyTasks(100)(j)
			manyGroups(11)(j)
		}), 400, []string{"number of tasks in the job 1100 is over the limit of 1000", "job_max_tasks"}},
		{"1 MB of job meta", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.Meta = bigMeta }),
			400, []string{"Job.Meta: size in bytes 1048577", "limits.meta_max_bytes"}},
		{"1 MB of task env", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Env = bigMeta }),
			400, []string{"Job.TaskGroups[0].Tasks[0].Env"}},
		{"long job ID", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.ID = strings.Repeat("x", 300) }),
			400, []string{"Job.ID: length 300 bytes"}},
		{"huge memory", "/v1/jobs", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = math.MaxInt64 }),
			400, []string{"Resources.MemoryMB", "over the maximum"}},
		{"restart attempts times delay overflow", "/v1/jobs", jobBody(t, func(j *structs.Job) {
			j.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Mode: "fail", Attempts: 999_999, Delay: 1 << 62, Interval: 1 << 62}
		}), 400, []string{"RestartPolicy.Delay: duration", "over the maximum"}},
		{"eval priority", "/v1/jobs", `{"EvalPriority": 1000000, "Job":` + jobBody(t, func(*structs.Job) {})[7:],
			400, []string{"EvalPriority"}},
		{"plan refuses too", "/v1/job/big/plan", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Count = math.MaxInt64 }),
			400, []string{"Job.TaskGroups[0].Count"}},
		{"JSON 100000 deep", "/v1/jobs", `{"Job":{"Meta":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}}`,
			400, []string{"nested deeper than the limit of 100", "limits.json_max_depth"}},
		{"JSON deep on a non-job route", "/v1/node/register", strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200),
			400, []string{"limits.json_max_depth"}},
		{"deep HCL", "/v1/jobs/parse", mustJSON(t, map[string]any{"JobHCL": `job "x" { meta = { a = ` + strings.Repeat("[", 100_000) + "1" + strings.Repeat("]", 100_000) + ` } }`}),
			400, []string{"job.nomad.hcl:1:", "nested too deeply", "limits.hcl_max_depth"}},
		{"large HCL", "/v1/jobs/parse", mustJSON(t, map[string]any{"JobHCL": strings.Repeat("#", 2<<20)}),
			400, []string{"limits.hcl_max_bytes"}},
		{"scale over the count", "/v1/job/keep/scale", `{"Count": 9223372036854775807, "Target": {"Group": "web"}}`,
			400, []string{"field Count", "limits.job_max_count"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ts.do("PUT", tc.path, tc.body, nil)
			if code != tc.code {
				t.Fatalf("PUT %s: %d %.300q, want %d", tc.path, code, body, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("PUT %s: %.500q does not contain %q", tc.path, body, w)
				}
			}
		})
	}
	if jobs := ts.store.Snapshot().Jobs("*"); len(jobs) != 1 || jobs[0].TaskGroups[0].Count != 1 {
		t.Fatalf("stored jobs after refused requests: %+v", jobs)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidateReportsLimits(t *testing.T) {
	ts := newTestServer(t, nil)
	var resp map[string]any
	ts.mustDo("PUT", "/v1/validate/job", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Count = 1e8 }), &resp)
	if !strings.Contains(fmt.Sprint(resp["Error"]), "Job.TaskGroups[0].Count: count 100000000 is over the limit") {
		t.Fatalf("validate answered %+v", resp)
	}
}

func TestConfiguredLimits(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits = Limits{Job: structs.JobLimits{MaxCount: 5, MaxGroups: 2}, JobMaxBytes: 4000, JSONMaxDepth: 8}
	})
	ts.register(testJob("five", 5, "raw_exec"))
	for _, tc := range []struct {
		name, body, want string
		code             int
	}{
		{"count", jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Count = 6 }), "count 6 is over the limit of 5", 400},
		{"groups", jobBody(t, manyGroups(3)), "number of task groups 3 is over the limit of 2", 400},
		{"bytes", jobBody(t, func(j *structs.Job) { j.Meta = map[string]string{"a": strings.Repeat("x", 5000)} }), "over the limit of 4000 bytes", 413},
		{"depth", `{"Job":{"Meta":[[[[[[[[[[]]]]]]]]]]}}`, "limit of 8 levels", 400},
	} {
		code, body := ts.do("PUT", "/v1/jobs", tc.body, nil)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %.300q, want %d containing %q", tc.name, code, body, tc.code, tc.want)
		}
	}
}

// storeRawJob writes job and a pending evaluation straight to the store,
// as a job stored before the limits existed would be.
func storeRawJob(t *testing.T, ts *testServer, job *structs.Job) *structs.Evaluation {
	t.Helper()
	job.Canonicalize()
	e := newEval(job, structs.EvalTriggerJobRegister)
	if _, err := ts.store.RegisterJob(context.Background(), job, []*structs.Evaluation{e}, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestStoredJobOverLimitsFailsItsEvaluation is the regression test of the
// crash loop: a job with a count near the int64 maximum in the store used
// to panic the scheduler at every start.
func TestStoredJobOverLimitsFailsItsEvaluation(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	e := storeRawJob(t, ts, testJob("huge", math.MaxInt64, "raw_exec"))
	got := ts.waitEval(e.ID)
	if got.Status != structs.EvalStatusFailed || !strings.Contains(got.StatusDescription, "TaskGroups[0].Count") || got.NextEval != "" {
		t.Fatalf("evaluation %s %q next %q, want failed naming the count without a retry", got.Status, got.StatusDescription, got.NextEval)
	}
	// A second server over the same store (a restart) does the same and
	// still schedules other jobs.
	ts2 := &testServer{t: t, store: ts.store}
	srv, err := New(Config{Store: ts.store, Logger: ts.srv.log})
	if err != nil {
		t.Fatal(err)
	}
	ts2.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e2 := storeRawJob(t, ts, testJob("huge", math.MaxInt64, "raw_exec"))
	ok := storeRawJob(t, ts, testJob("fine", 1, "raw_exec"))
	if got := ts.waitEval(e2.ID); got.Status != structs.EvalStatusFailed {
		t.Fatalf("after restart: evaluation %s %q", got.Status, got.StatusDescription)
	}
	if got := ts.waitEval(ok.ID); got.Status != structs.EvalStatusComplete || len(ts.liveAllocs("fine")) != 1 {
		t.Fatalf("normal job after the bad one: %s %q, %d allocs", got.Status, got.StatusDescription, len(ts.liveAllocs("fine")))
	}
}

// TestSchedulerPanicFailsTheEvaluation makes the scheduler panic for real
// (limits raised so far that a count near the int64 maximum reaches it)
// and checks the server survives with the evaluation failed.
func TestSchedulerPanicFailsTheEvaluation(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.Job.MaxCount = math.MaxInt })
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	e := storeRawJob(t, ts, testJob("boom", math.MaxInt64, "raw_exec"))
	got := ts.waitEval(e.ID)
	if got.Status != structs.EvalStatusFailed || !strings.Contains(got.StatusDescription, "panicked") {
		t.Fatalf("evaluation %s %q, want failed by a panic", got.Status, got.StatusDescription)
	}
	r := ts.register(testJob("after", 1, "raw_exec"))
	if got := ts.waitEval(r.EvalID); got.Status != structs.EvalStatusComplete {
		t.Fatalf("next evaluation %s %q", got.Status, got.StatusDescription)
	}
	if code, _ := ts.do("GET", "/v1/jobs", nil, nil); code != http.StatusOK {
		t.Fatalf("API answered %d after the panic", code)
	}
}

func TestDriverConfigCheckedAtSubmit(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.ValidateDriverConfig = func(driver string, config map[string]any) error {
			if driver != "raw_exec" {
				return fmt.Errorf("Driver: %q: unknown driver", driver)
			}
			if _, ok := config["command"].(string); !ok {
				return fmt.Errorf("invalid raw_exec config: config.command: missing required key")
			}
			return nil
		}
	})
	bad := jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Config = map[string]any{"cmd": "x"} })
	unknown := jobBody(t, func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Driver = "docker" })
	for _, path := range []string{"/v1/jobs", "/v1/job/big/plan"} {
		for body, want := range map[string]string{bad: "config.command: missing required key", unknown: `Driver: "docker": unknown driver`} {
			code, out := ts.do("PUT", path, body, nil)
			if code != 400 || !strings.Contains(out, `TaskGroups["web"].Tasks["server"]: `) || !strings.Contains(out, want) {
				t.Errorf("PUT %s: %d %q, want 400 naming the task and %q", path, code, out, want)
			}
		}
	}
	var resp map[string]any
	ts.mustDo("PUT", "/v1/validate/job", bad, &resp)
	if !strings.Contains(fmt.Sprint(resp["Error"]), "config.command") {
		t.Fatalf("validate: %+v", resp)
	}
	ts.mustDo("PUT", "/v1/validate/job", jobBody(t, func(*structs.Job) {}), &resp)
	if resp["DriverConfigValidated"] != true || resp["Error"] != "" {
		t.Fatalf("validate of a good job: %+v", resp)
	}
	ts.register(testJob("good", 1, "raw_exec"))
}
