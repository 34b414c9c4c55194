package cli

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestJobStatusShowsAFailedEvaluation(t *testing.T) {
	failed := &structs.Evaluation{ID: "e2", CreateIndex: 2, Status: structs.EvalStatusFailed,
		StatusDescription: "job is over the server's limits: TaskGroups[0].Count: count 100000000 is over the limit of 10000"}
	ok := &structs.Evaluation{ID: "e3", CreateIndex: 3, Status: structs.EvalStatusComplete}
	job := &structs.Job{ID: "j", Status: "pending"}
	m := &meta{}
	out := m.formatJobStatus(&jobStatusView{Job: job, Evaluations: []*structs.Evaluation{failed}}, false)
	if !strings.Contains(out, "Latest Evaluation Failed\n"+failed.StatusDescription) {
		t.Fatalf("job status does not show the failure:\n%s", out)
	}
	out = m.formatJobStatus(&jobStatusView{Job: job, Evaluations: []*structs.Evaluation{failed, ok}}, false)
	if strings.Contains(out, "Latest Evaluation Failed") {
		t.Fatalf("job status shows a failure a newer evaluation superseded:\n%s", out)
	}
}
