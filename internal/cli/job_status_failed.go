package cli

import "github.com/wharf-project/wharf/internal/structs"

// latestFailedEval is the job's newest evaluation when it failed (the
// server could not process it: the job is over the server's limits, or
// scheduling it failed), else nil.
func latestFailedEval(evals []*structs.Evaluation) *structs.Evaluation {
	var latest *structs.Evaluation
	for _, e := range evals {
		if latest == nil || e.CreateIndex > latest.CreateIndex {
			latest = e
		}
	}
	if latest == nil || latest.Status != structs.EvalStatusFailed {
		return nil
	}
	return latest
}
