package cli

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestJobRunMonitor(t *testing.T) {
	f := newFakeAPI(t)
	f.register = &structs.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: 105}
	f.evalSeq[evalID] = []*structs.Evaluation{evalWith("pending", nil), evalWith("complete", nil)}
	stub := seedAlloc().Stub("service")
	f.evalAllocs[evalID] = []*structs.AllocListStub{stub}

	r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, "job", "run", "nginx.job")
	want := `==> 2024-05-06T07:08:09Z: Monitoring evaluation "5d8a5e9b"
    2024-05-06T07:08:09Z: Evaluation triggered by job "nginx-minipot"
    2024-05-06T07:08:09Z: Allocation "8ba85cef" created: node "171a583b", group "group1"
    2024-05-06T07:08:09Z: Evaluation status changed: "pending" -> "complete"
==> 2024-05-06T07:08:09Z: Evaluation "5d8a5e9b" finished with status "complete"
`
	if r.code != 0 || r.out != want {
		t.Fatalf("code %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.out, want, r.err)
	}
	if len(f.registered) != 1 || f.registered[0].ID != "nginx-minipot" {
		t.Errorf("registered = %v", f.registered)
	}
	if !f.requested("GET /v1/evaluation/" + evalID + "?index=104&") {
		t.Errorf("the first read did not wait for the register's index: %q", f.requests)
	}
	if n := f.count("GET /v1/evaluation/" + evalID + "?index="); n != 2 {
		t.Errorf("%d blocking reads of the evaluation, want 2: %q", n, f.requests)
	}
}

func TestJobRunPlacementFailure(t *testing.T) {
	f := newFakeAPI(t)
	f.register = &structs.JobRegisterResponse{EvalID: evalID}
	f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", func(e *structs.Evaluation) {
		e.BlockedEval = blockedID
		e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": missingDriverMetric()}
	})}
	r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, "job", "run", "nginx.job")
	if r.code != exitPlacementFailed {
		t.Fatalf("code = %d, want 2; out:\n%s\nerr: %s", r.code, r.out, r.err)
	}
	mustContain(t, r.out,
		`Evaluation status changed: "pending" -> "complete"`,
		`==> 2024-05-06T07:08:09Z: Evaluation "5d8a5e9b" finished with status "complete" but failed to place all allocations:`,
		`    2024-05-06T07:08:09Z: Task Group "group1" (failed to place 1 allocation):`,
		"\n      * Constraint \"missing drivers\": 3 nodes excluded by filter\n",
		`* No node has a healthy "pot" driver`,
		`Evaluation "e53a3fb5" waiting for additional capacity to place remainder`)
}

func TestJobRunNoNodes(t *testing.T) {
	f := newFakeAPI(t)
	f.register = &structs.JobRegisterResponse{EvalID: evalID}
	f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", func(e *structs.Evaluation) {
		e.BlockedEval = blockedID
		e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": {NodesAvailable: map[string]int{"minipot": 0}}}
	})}
	r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, "job", "run", "nginx.job")
	if r.code != exitPlacementFailed {
		t.Fatalf("code = %d, want 2", r.code)
	}
	mustContain(t, r.out, "      * No nodes were eligible for evaluation\n",
		"      * No nodes are available in datacenter \"minipot\"\n",
		"      * No client node is ready in the job's datacenters")
}

func TestJobRunResourcesExhausted(t *testing.T) {
	f := newFakeAPI(t)
	f.register = &structs.JobRegisterResponse{EvalID: evalID}
	f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", func(e *structs.Evaluation) {
		e.BlockedEval = blockedID
		e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": exhaustedMetric()}
	})}
	r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, "job", "run", "-verbose", "nginx.job")
	if r.code != exitPlacementFailed {
		t.Fatalf("code = %d, want 2", r.code)
	}
	mustContain(t, r.out, `Task Group "group1" (failed to place 2 allocations):`,
		"* Resources exhausted on 3 nodes", `* Dimension "memory" exhausted on 3 nodes`,
		`Monitoring evaluation "`+evalID+`"`)
}

func TestJobRunOutcomes(t *testing.T) {
	jobs := map[string]*structs.Job{"nginx.job": seedJob()}
	tests := []struct {
		name     string
		args     []string
		failWith int
		evals    []*structs.Evaluation
		code     int
		stdout   []string
		stderr   []string
	}{
		{name: "detach", args: []string{"-detach", "nginx.job"}, code: 0,
			stdout: []string{"Job registration successful\nEvaluation ID: " + evalID + "\n"}},
		{name: "double dash detach", args: []string{"--detach", "nginx.job"}, code: 0,
			stdout: []string{"Job registration successful"}},
		{name: "parse error", args: []string{"bad.job"}, code: 1,
			stderr: []string{"Error: parsing job file bad.job:\nbad.job:3:5: Unsupported argument"}},
		{name: "server refuses", args: []string{"nginx.job"}, failWith: 403, code: 1,
			stderr: []string{`submitting job "nginx-minipot"`, "403", "permission denied by test"}},
		{name: "eval failed", args: []string{"nginx.job"}, code: 1,
			evals:  []*structs.Evaluation{evalWith("failed", func(e *structs.Evaluation) { e.StatusDescription = "maximum attempts reached" })},
			stdout: []string{`finished with status "failed"`}, stderr: []string{"maximum attempts reached"}},
		{name: "missing file argument", args: nil, code: 1, stderr: []string{"accepts 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.register = &structs.JobRegisterResponse{EvalID: evalID}
			f.failWith = tt.failWith
			if tt.evals != nil {
				f.evalSeq[evalID] = tt.evals
			}
			r := f.run(t, jobs, append([]string{"job", "run"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("code = %d, want %d; out:\n%s\nerr:\n%s", r.code, tt.code, r.out, r.err)
			}
			mustContain(t, r.out, tt.stdout...)
			mustContain(t, r.err, tt.stderr...)
		})
	}
}

func TestJobRunCheckIndex(t *testing.T) {
	f := newFakeAPI(t)
	f.register = &structs.JobRegisterResponse{EvalID: evalID}
	r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, "job", "run", "-detach", "-check-index", "0", "nginx.job")
	if r.code != 0 {
		t.Fatalf("code = %d: %s", r.code, r.err)
	}
	if !strings.Contains(r.out, "Job registration successful") {
		t.Errorf("out = %s", r.out)
	}
}
