package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// countDiff is the plan of the walk-through's step 7: count 1 -> 2.
func countDiff() *structs.JobPlanResponse {
	return &structs.JobPlanResponse{
		JobModifyIndex: 7,
		Diff: &structs.JobDiff{Type: "Edited", ID: "nginx-minipot", TaskGroups: []*structs.TaskGroupDiff{{
			Type: "Edited", Name: "group1",
			Fields:  []*structs.FieldDiff{{Type: "Edited", Name: "Count", Old: "1", New: "2", Annotations: []string{"forces create"}}},
			Tasks:   []*structs.TaskDiff{{Type: "None", Name: "www1"}},
			Updates: map[string]uint64{"create": 1, "ignore": 1},
		}}},
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{
			"group1": {Place: 1, Ignore: 1}}},
	}
}

func TestJobPlan(t *testing.T) {
	noChange := &structs.JobPlanResponse{
		JobModifyIndex: 7,
		Diff: &structs.JobDiff{Type: "None", ID: "nginx-minipot", TaskGroups: []*structs.TaskGroupDiff{{
			Type: "None", Name: "group1", Tasks: []*structs.TaskDiff{{Type: "None", Name: "www1"}},
			Updates: map[string]uint64{"ignore": 1},
		}}},
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{"group1": {Ignore: 1}}},
	}
	inPlace := countDiff()
	inPlace.Diff.TaskGroups[0].Updates = map[string]uint64{"create": 1, "in-place update": 1}
	failing := countDiff()
	failing.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": exhaustedMetric()}
	runCases(t, []cliCase{
		{name: "changes", setup: func(f *fakeAPI) { f.plan = countDiff() }, args: []string{"job", "plan", "nginx.job"},
			code: planChanges,
			stdout: []string{"+/- Job: \"nginx-minipot\"\n+/- Task Group: \"group1\" (1 create, 1 ignore)\n" +
				"  +/- Count: \"1\" => \"2\" (forces create)\n" +
				"      Task: \"www1\"\n",
				"Scheduler dry-run:\n- All tasks successfully allocated.\n",
				"Job Modify Index: 7\n", "wharf job run -check-index 7 nginx.job\n"}},
		{name: "in-place annotation", setup: func(f *fakeAPI) { f.plan = inPlace }, args: []string{"job", "plan", "nginx.job"},
			code: planChanges, stdout: []string{`Task Group: "group1" (1 create, 1 in-place update)`}},
		{name: "no change", setup: func(f *fakeAPI) { f.plan = noChange }, args: []string{"job", "plan", "nginx.job"},
			code: planNoChange, stdout: []string{"Job: \"nginx-minipot\"\nTask Group: \"group1\" (1 ignore)\n  Task: \"www1\"\n"}},
		{name: "placement failure", setup: func(f *fakeAPI) { f.plan = failing }, args: []string{"job", "plan", "nginx.job"},
			code: planChanges,
			stdout: []string{"- WARNING: Failed to place all allocations.\n  Task Group \"group1\" (failed to place 2 allocations):\n" +
				"    * Resources exhausted on 3 nodes\n"}},
		{name: "parse error", args: []string{"job", "plan", "bad.job"}, code: planError,
			stderr: []string{"bad.job:3:5: Unsupported argument"}},
		{name: "server error", setup: func(f *fakeAPI) { f.failWith = 500 }, args: []string{"job", "plan", "nginx.job"},
			code: planError, stderr: []string{`planning job "nginx-minipot"`}},
	})
}

func TestJobStop(t *testing.T) {
	register := func(f *fakeAPI) { f.register = &structs.JobRegisterResponse{EvalID: evalID} }
	runCases(t, []cliCase{
		{name: "monitor", setup: register, args: []string{"job", "stop", "nginx-minipot"},
			stdout: []string{`Monitoring evaluation "5d8a5e9b"`, `finished with status "complete"`}},
		{name: "detach purge", setup: register, args: []string{"job", "stop", "-purge", "-detach", "ngin"},
			stdout: []string{evalID + "\n"}, absent: []string{"Monitoring"}},
		{name: "not found", setup: register, args: []string{"job", "stop", "web"}, code: 1,
			stderr: []string{`no job with ID or prefix "web" found`}},
	})
	f := seededAPI(newFakeAPI(t))
	f.register = &structs.JobRegisterResponse{EvalID: evalID}
	if r := f.run(t, nil, "job", "stop", "-purge", "-detach", "nginx-minipot"); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.err)
	}
	if !f.requested("DELETE /v1/job/nginx-minipot?purge=true") {
		t.Errorf("no purge request among %v", f.requests)
	}
}

func TestJobScale(t *testing.T) {
	register := func(f *fakeAPI) { f.register = &structs.JobRegisterResponse{EvalID: evalID} }
	twoGroups := func(f *fakeAPI) {
		register(f)
		f.jobs["nginx-minipot"].TaskGroups = append(f.jobs["nginx-minipot"].TaskGroups, &structs.TaskGroup{Name: "g2"})
	}
	placementFails := func(f *fakeAPI) {
		register(f)
		f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", func(e *structs.Evaluation) {
			e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": exhaustedMetric()}
			e.BlockedEval = blockedID
		})}
	}
	runCases(t, []cliCase{
		{name: "group given", setup: register, args: []string{"job", "scale", "nginx-minipot", "group1", "2"},
			stdout: []string{`Allocation "8ba85cef" created`, `finished with status "complete"`}},
		{name: "only group", setup: register, args: []string{"job", "scale", "nginx-minipot", "2"},
			stdout: []string{`finished with status "complete"`}},
		{name: "detach", setup: register, args: []string{"job", "scale", "-detach", "nginx-minipot", "2"},
			stdout: []string{"Evaluation ID: " + evalID}},
		{name: "placement failure", setup: placementFails, args: []string{"job", "scale", "nginx-minipot", "5"},
			code: exitPlacementFailed, stdout: []string{"failed to place all allocations"}},
		{name: "group needed", setup: twoGroups, args: []string{"job", "scale", "nginx-minipot", "2"}, code: 1,
			stderr: []string{"has 2 task groups"}},
		{name: "unknown group", setup: register, args: []string{"job", "scale", "nginx-minipot", "web", "2"}, code: 1,
			stderr: []string{`has no task group "web"`}},
		{name: "bad count", setup: register, args: []string{"job", "scale", "nginx-minipot", "two"}, code: 1,
			stderr: []string{`count "two"`}},
	})
}

func TestJobValidateInspect(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "nginx.job")
	if err := os.WriteFile(file, []byte("job {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]*structs.Job{file: seedJob(), "nginx.job": seedJob()}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"validate ok", []string{"job", "validate", "nginx.job"}, 0, []string{"Job validation successful\n"}, nil},
		{"validate errors", []string{"job", "validate", "bad.job"}, 1, nil,
			[]string{"Error: job validation failed:\nbad.job:3:5: Unsupported argument", "\nbad.job:9:1: Missing required argument"}},
		{"inspect file", []string{"job", "inspect", file}, 0,
			[]string{"{\n    \"Job\": {\n", `"ID": "nginx-minipot"`, `"Driver": "pot"`}, nil},
		{"inspect server", []string{"job", "inspect", "nginx-mini"}, 0, []string{`"Datacenters": [`}, nil},
		{"inspect missing", []string{"job", "inspect", "nope"}, 1, nil, []string{`no job with ID or prefix "nope" found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seededAPI(newFakeAPI(t))
			r := f.run(t, jobs, tt.args...)
			if r.code != tt.code {
				t.Fatalf("code = %d, want %d\n%s%s", r.code, tt.code, r.out, r.err)
			}
			mustContain(t, r.out, tt.stdout...)
			mustContain(t, r.err, tt.stderr...)
		})
	}
}

func TestVersion(t *testing.T) {
	f := newFakeAPI(t)
	r := f.run(t, nil, "version")
	if r.code != 0 || r.out != "wharf dev\n" {
		t.Fatalf("version: %d %q", r.code, r.out)
	}
}
