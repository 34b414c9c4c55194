package state

import (
	"context"
	"errors"
)

// ErrNoSpace: etcd refused a write because its database reached its
// space quota (the NOSPACE alarm). Reads and deletes still work; garbage
// collection, compaction and defragmentation free space, and the alarm
// must then be disarmed.
var ErrNoSpace = errors.New("etcd space quota exceeded: run wharf system gc or raise etcd.quota_backend_bytes")

// JobGarbage names a job to purge with the evaluations and allocations
// deleted together with it. ModifyIndex is the job's ModifyIndex the
// collector saw: a job changed since (registered again, say) is kept, and
// so are the evaluations and allocations named with it.
type JobGarbage struct {
	Namespace, ID string
	ModifyIndex   uint64
	Evals, Allocs []string
}

// NodeGarbage names a node to delete at the ModifyIndex the collector saw.
type NodeGarbage struct {
	ID          string
	ModifyIndex uint64
}

// GarbageStore is the part of the Store contract garbage collection uses:
// deletes that shrink both etcd and every server's in-memory index, and
// that write nothing but deletes for terminal objects (so they still run
// while etcd refuses writes for lack of space).
type GarbageStore interface {
	// DeleteAllocs removes allocations by ID; unknown IDs are skipped.
	DeleteAllocs(ctx context.Context, ids []string) (uint64, error)
	// PurgeJobs deletes each job, all its versions and the evaluations
	// and allocations named with it, as one step per job, when the job is
	// still at the given ModifyIndex; other jobs are skipped.
	PurgeJobs(ctx context.Context, jobs []JobGarbage) (uint64, error)
	// DeleteNodes removes each node still at the given ModifyIndex;
	// others (changed since, or unknown) are skipped.
	DeleteNodes(ctx context.Context, nodes []NodeGarbage) (uint64, error)
}
