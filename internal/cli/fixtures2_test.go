package cli

import (
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// seededAPI is a fake API holding the walk-through's state: the seed job
// with one running allocation on one node, and a second, failed
// allocation.
func seededAPI(f *fakeAPI) *fakeAPI {
	job := seedJob()
	f.jobs[job.ID] = job
	f.summaries[job.ID] = &structs.JobSummary{JobID: job.ID, Summary: map[string]structs.TaskGroupSummary{
		"group1": {Running: 1, Failed: 1}}}
	a := seedAlloc()
	old := seedAlloc()
	old.ID, old.ClientStatus, old.DesiredStatus = allocID2, "failed", "stop"
	old.CreateIndex, old.CreateTime, old.ModifyTime = 101, nanos(2*time.Hour), nanos(time.Hour+3*time.Minute)
	f.allocs[a.ID], f.allocs[old.ID] = a, old
	f.jobAllocs[job.ID] = []*structs.AllocListStub{old.Stub("service"), a.Stub("service")}
	f.jobEvals[job.ID] = []*structs.Evaluation{evalWith("complete", nil)}
	f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", nil)}
	f.evalAllocs[evalID] = []*structs.AllocListStub{a.Stub("service")}
	n := seedNode()
	f.nodes[n.ID] = n
	f.nodeAllocs[n.ID] = []*structs.Allocation{a, old}
	return f
}
