package index

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// deriveJobStatuses sets the Status of every job the transaction touched
// (directly or through its allocations and evaluations) from its state,
// replacing the stored object when the status changes. A derived change
// does not move the jobs table's index: the allocations' or evaluations'
// table moved with the change that caused it, and a server loading the
// state could not know when a status last changed, so readers of job
// status wait on all three tables.
func (t *Txn) deriveJobStatuses() {
	snap := t.Snapshot()
	for id := range t.jobs {
		job := snap.Job(id.Namespace, id.ID)
		if job == nil {
			continue
		}
		status := JobStatus(job, snap)
		if status == job.Status {
			continue
		}
		c := *job
		c.Status = status
		t.note(t.txn.Insert(string(state.TableJobs), &c))
		t.record(state.TableJobs, &c, false)
	}
}

// JobStatus derives a job's status: running while any allocation is not
// terminal, dead once it is stopped, pending while an evaluation is still
// to be processed, dead once all its allocations are terminal, pending
// before anything happened.
func JobStatus(job *structs.Job, snap *Snapshot) string {
	it, err := snap.txn.Get(string(state.TableAllocs), "job", job.Namespace, job.ID)
	hasAllocs := false
	for raw := next(it, err); raw != nil; raw = it.Next() {
		hasAllocs = true
		if !raw.(*structs.Allocation).TerminalStatus() {
			return structs.JobStatusRunning
		}
	}
	if job.Stop {
		return structs.JobStatusDead
	}
	for _, e := range snap.EvalsByJob(job.Namespace, job.ID) {
		if !e.TerminalStatus() {
			return structs.JobStatusPending
		}
	}
	if hasAllocs {
		return structs.JobStatusDead
	}
	return structs.JobStatusPending
}

// next returns the first result of an iterator, or nil when the lookup
// failed.
func next(it memdb.ResultIterator, err error) any {
	if err != nil {
		return nil
	}
	return it.Next()
}
