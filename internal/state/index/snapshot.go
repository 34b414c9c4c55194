package index

import (
	"slices"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Snapshot is an immutable view of the index (a memdb read transaction);
// it is safe for concurrent use. Returned objects are shared: callers
// must not modify them.
type Snapshot struct {
	txn *memdb.Txn
	w   *Txn // the write transaction a Txn.Snapshot reads, else nil
}

var _ state.Snapshot = (*Snapshot)(nil)

// Index is the store index the snapshot reflects.
func (s *Snapshot) Index() uint64 {
	return s.indexRow(globalKey)
}

// TableIndex is the highest index that changed any of tables (all tables
// when none are given).
func (s *Snapshot) TableIndex(tables ...state.Table) uint64 {
	if len(tables) == 0 {
		tables = publicTables
	}
	var idx uint64
	for _, t := range tables {
		idx = max(idx, s.indexRow(string(t)))
	}
	return idx
}

// NodeUsage is the store index at which the node's set of
// resource-holding allocations last changed (0 if never).
func (s *Snapshot) NodeUsage(nodeID string) uint64 {
	raw, _ := s.txn.First(tableNodeUsage, "id", nodeID)
	if raw == nil {
		return 0
	}
	return raw.(*usageRow).Index
}

func (s *Snapshot) indexRow(key string) uint64 {
	raw, _ := s.txn.First(tableIndex, "id", key)
	if raw == nil {
		return 0
	}
	return raw.(*indexRow).Value
}

// first returns the one object of table matching args, or nil.
func first[T any](s *Snapshot, table, index string, args ...any) *T {
	raw, err := s.txn.First(table, index, args...)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*T)
}

// list returns every object of table matching args, in index order.
func list[T any](s *Snapshot, table, index string, args ...any) []*T {
	it, err := s.txn.Get(table, index, args...)
	if err != nil {
		return nil
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out
}

// Job returns the current version of a job, or nil.
func (s *Snapshot) Job(namespace, id string) *structs.Job {
	return first[structs.Job](s, string(state.TableJobs), "id", namespace, id)
}

// Jobs lists jobs of namespace ("*" for all), sorted by ID.
func (s *Snapshot) Jobs(namespace string) []*structs.Job {
	if namespace == "*" {
		return list[structs.Job](s, string(state.TableJobs), "jobid")
	}
	return list[structs.Job](s, string(state.TableJobs), "id_prefix", namespace, "")
}

// JobsByIDPrefix lists jobs of namespace ("*" for all) whose ID starts
// with prefix, sorted by ID.
func (s *Snapshot) JobsByIDPrefix(namespace, prefix string) []*structs.Job {
	if namespace == "*" {
		return list[structs.Job](s, string(state.TableJobs), "jobid_prefix", prefix)
	}
	return list[structs.Job](s, string(state.TableJobs), "id_prefix", namespace, prefix)
}

// JobVersions lists a job's stored versions, newest first.
func (s *Snapshot) JobVersions(namespace, id string) []*structs.Job {
	vs := list[structs.Job](s, string(state.TableJobVersions), "job", namespace, id)
	slices.Reverse(vs)
	return vs
}

// JobVersion returns one stored version of a job, or nil.
func (s *Snapshot) JobVersion(namespace, id string, version uint64) *structs.Job {
	return first[structs.Job](s, string(state.TableJobVersions), "id", namespace, id, version)
}

// Eval returns an evaluation, or nil.
func (s *Snapshot) Eval(id string) *structs.Evaluation {
	return first[structs.Evaluation](s, string(state.TableEvals), "id", id)
}

// Evals lists all evaluations sorted by ID.
func (s *Snapshot) Evals() []*structs.Evaluation {
	return list[structs.Evaluation](s, string(state.TableEvals), "id")
}

// EvalsByIDPrefix lists evaluations whose ID starts with prefix.
func (s *Snapshot) EvalsByIDPrefix(prefix string) []*structs.Evaluation {
	return list[structs.Evaluation](s, string(state.TableEvals), "id_prefix", prefix)
}

// EvalsByJob lists a job's evaluations sorted by ID.
func (s *Snapshot) EvalsByJob(namespace, jobID string) []*structs.Evaluation {
	return list[structs.Evaluation](s, string(state.TableEvals), "job", namespace, jobID)
}

// EvalsByStatus lists evaluations with the given status, sorted by ID.
func (s *Snapshot) EvalsByStatus(status string) []*structs.Evaluation {
	if status == "" {
		return nil
	}
	return list[structs.Evaluation](s, string(state.TableEvals), "status", status)
}

// Alloc returns an allocation, or nil.
func (s *Snapshot) Alloc(id string) *structs.Allocation {
	if s.w != nil {
		return s.w.priorAlloc(id)
	}
	return first[structs.Allocation](s, string(state.TableAllocs), "id", id)
}

// Allocs lists all allocations sorted by ID.
func (s *Snapshot) Allocs() []*structs.Allocation {
	return list[structs.Allocation](s, string(state.TableAllocs), "id")
}

// AllocsByIDPrefix lists allocations whose ID starts with prefix.
func (s *Snapshot) AllocsByIDPrefix(prefix string) []*structs.Allocation {
	return list[structs.Allocation](s, string(state.TableAllocs), "id_prefix", prefix)
}

// AllocsByJob lists a job's allocations sorted by ID.
func (s *Snapshot) AllocsByJob(namespace, jobID string) []*structs.Allocation {
	return list[structs.Allocation](s, string(state.TableAllocs), "job", namespace, jobID)
}

// AllocsByNode lists a node's allocations sorted by ID.
func (s *Snapshot) AllocsByNode(nodeID string) []*structs.Allocation {
	if nodeID == "" {
		return nil
	}
	return list[structs.Allocation](s, string(state.TableAllocs), "node", nodeID)
}

// AllocsByEval lists the allocations an evaluation created, sorted by ID.
func (s *Snapshot) AllocsByEval(evalID string) []*structs.Allocation {
	if evalID == "" {
		return nil
	}
	return list[structs.Allocation](s, string(state.TableAllocs), "eval", evalID)
}

// Node returns a node, or nil.
func (s *Snapshot) Node(id string) *structs.Node {
	return first[structs.Node](s, string(state.TableNodes), "id", id)
}

// Nodes lists all nodes sorted by ID.
func (s *Snapshot) Nodes() []*structs.Node {
	return list[structs.Node](s, string(state.TableNodes), "id")
}

// NodesByIDPrefix lists nodes whose ID starts with prefix.
func (s *Snapshot) NodesByIDPrefix(prefix string) []*structs.Node {
	return list[structs.Node](s, string(state.TableNodes), "id_prefix", prefix)
}
