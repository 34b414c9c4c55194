package index

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Txn is a write transaction on the index. Only one is open at a time
// (opening one waits for the previous to end). Objects put must be final:
// the index keeps them and hands them to readers.
type Txn struct {
	txn *memdb.Txn
	// changed maps each changed table to the highest revision (see At)
	// of its changes, 0 for changes made without one.
	changed map[string]uint64
	jobs    map[structs.NamespacedID]bool
	rev     uint64
	err     error

	// gen is the transaction's generation: summary parts stamped with it
	// are its own to change in place.
	gen uint64
	// base reads the state the transaction began from (without its
	// writes); cleared is true once Clear emptied the index.
	base    *memdb.Txn
	cleared bool
	// allocs holds, by ID, the allocations the transaction wrote or read
	// (nil: deleted or absent); summaries the node summaries it changed.
	allocs    map[string]*structs.Allocation
	summaries map[string]*nodeSummary
	scratch   [2][]int
	feed      *feed // changes for the index's listener (feed.go); nil without one
}

// Txn opens a write transaction.
func (x *Index) Txn() *Txn {
	txn := x.db.Txn(true)
	// Holding the writer lock, a read transaction sees what txn starts from.
	return &Txn{
		txn:       txn,
		changed:   map[string]uint64{},
		jobs:      map[structs.NamespacedID]bool{},
		gen:       x.gen.Add(1),
		base:      x.db.Txn(false),
		allocs:    map[string]*structs.Allocation{},
		summaries: map[string]*nodeSummary{},
		feed:      x.newFeed(),
	}
}

// Snapshot reads the transaction's own state, writes included. It is valid
// until the transaction ends. Reading an index already written in the
// transaction makes later writes to it copy more (memdb drops its write
// cache), so bulk writers read first and write after.
func (t *Txn) Snapshot() *Snapshot { return &Snapshot{txn: t.txn, w: t} }

// At says that the following changes happened at store index rev: each
// table's index becomes the highest rev of its own changes rather than the
// index of the whole commit, so servers that group the same changes into
// different transactions agree on table indexes.
func (t *Txn) At(rev uint64) { t.rev = rev }

// Changed reports whether the transaction changed any table.
func (t *Txn) Changed() bool { return len(t.changed) > 0 }

// Abort drops the transaction.
func (t *Txn) Abort() { t.txn.Abort() }

// Commit derives the status of touched jobs, stores the node summaries
// the transaction changed, sets the index of every changed table (to
// index, or the highest At revision of its changes) and the store index
// to index, and makes it all visible at once. It returns the first error
// a write met (and then commits nothing).
func (t *Txn) Commit(index uint64) error {
	if t.err == nil {
		t.deriveJobStatuses()
		t.flushSummaries()
	}
	if t.err != nil {
		t.txn.Abort()
		return t.err
	}
	for key, rev := range t.changed {
		if rev == 0 || rev > index {
			rev = index
		}
		t.setRow(key, rev)
	}
	t.setRow(globalKey, index)
	if t.err != nil {
		t.txn.Abort()
		return t.err
	}
	t.publish(index)
	t.txn.Commit()
	return nil
}

// setRow raises an index-table row to index.
func (t *Txn) setRow(key string, index uint64) {
	raw, _ := t.txn.First(tableIndex, "id", key)
	if raw != nil && raw.(*indexRow).Value >= index {
		return
	}
	t.note(t.txn.Insert(tableIndex, &indexRow{Key: key, Value: index}))
}

func (t *Txn) note(err error) {
	if err != nil && t.err == nil {
		t.err = fmt.Errorf("index: %w", err)
	}
}

func (t *Txn) insert(table state.Table, obj any) {
	t.note(t.txn.Insert(string(table), obj))
	t.markChanged(string(table), t.rev)
	t.record(table, obj, false)
}

func (t *Txn) markChanged(table string, rev uint64) {
	t.changed[table] = max(t.changed[table], rev)
}

// remove deletes the object of table with the given primary key, if any,
// and returns it.
func (t *Txn) remove(table state.Table, args ...any) any {
	raw, err := t.txn.First(string(table), "id", args...)
	t.note(err)
	if raw == nil {
		return nil
	}
	t.note(t.txn.Delete(string(table), raw))
	t.markChanged(string(table), t.rev)
	t.record(table, raw, true)
	return raw
}

func (t *Txn) touchJob(namespace, id string) {
	k := structs.NamespacedID{Namespace: namespace, ID: id}
	t.jobs[k] = true
}

// Touch marks table changed at the transaction's revision (At) without
// changing an object: a deletion the writer knows of but cannot replay.
func (t *Txn) Touch(table state.Table) { t.markChanged(string(table), t.rev) }

// UpsertJob puts the current version of a job.
func (t *Txn) UpsertJob(j *structs.Job) {
	t.insert(state.TableJobs, j)
	t.touchJob(j.Namespace, j.ID)
}

// DeleteJob removes a job (not its versions).
func (t *Txn) DeleteJob(namespace, id string) {
	t.remove(state.TableJobs, namespace, id)
}

// UpsertJobVersion puts one stored version of a job.
func (t *Txn) UpsertJobVersion(j *structs.Job) {
	t.insert(state.TableJobVersions, j)
}

// DeleteJobVersion removes one stored version of a job.
func (t *Txn) DeleteJobVersion(namespace, id string, version uint64) {
	t.remove(state.TableJobVersions, namespace, id, version)
}

// UpsertEval puts an evaluation. An evaluation never moves to another job.
func (t *Txn) UpsertEval(e *structs.Evaluation) {
	t.insert(state.TableEvals, e)
	t.touchJob(e.Namespace, e.JobID)
}

// DeleteEval removes an evaluation.
func (t *Txn) DeleteEval(id string) {
	if old, ok := t.remove(state.TableEvals, id).(*structs.Evaluation); ok {
		t.touchJob(old.Namespace, old.JobID)
	}
}

// UpsertAlloc puts an allocation and moves its usage in the node
// summaries. An allocation never moves to another job (its etcd key holds
// the job).
func (t *Txn) UpsertAlloc(a *structs.Allocation) {
	old := t.priorAlloc(a.ID)
	t.insert(state.TableAllocs, a)
	t.allocs[a.ID] = a
	t.touchJob(a.Namespace, a.JobID)
	t.resum(old, a)
}

// DeleteAlloc removes an allocation and its usage from the node
// summaries.
func (t *Txn) DeleteAlloc(id string) {
	old := t.priorAlloc(id)
	if old == nil {
		return
	}
	t.note(t.txn.Delete(string(state.TableAllocs), old))
	t.markChanged(string(state.TableAllocs), t.rev)
	t.record(state.TableAllocs, old, true)
	t.allocs[id] = nil
	t.touchJob(old.Namespace, old.JobID)
	t.resum(old, nil)
}

// UpsertNode puts a node.
func (t *Txn) UpsertNode(n *structs.Node) {
	t.insert(state.TableNodes, n)
}

// DeleteNode removes a node and its usage record.
func (t *Txn) DeleteNode(id string) {
	t.remove(state.TableNodes, id)
	t.DeleteNodeUsage(id)
}

// SetNodeUsage records that the node's set of resource-holding
// allocations changed at index.
func (t *Txn) SetNodeUsage(nodeID string, index uint64) {
	t.note(t.txn.Insert(tableNodeUsage, &usageRow{NodeID: nodeID, Index: index}))
}

// DeleteNodeUsage removes the node's usage record.
func (t *Txn) DeleteNodeUsage(nodeID string) {
	raw, _ := t.txn.First(tableNodeUsage, "id", nodeID)
	if raw != nil {
		t.note(t.txn.Delete(tableNodeUsage, raw))
	}
}

// Clear removes every object (and node summary), to reload the index from
// scratch in the same transaction. No table counts as changed by Clear
// itself: a reload marks each table changed at the revisions of what it
// puts back (Touch for what it cannot see, such as deletions), and table
// indexes never go down.
func (t *Txn) Clear() {
	t.cleared = true
	clear(t.allocs)
	clear(t.summaries)
	_, err := t.txn.DeleteAll(tableNodeSummary, "id")
	t.note(err)
	for _, tb := range publicTables {
		_, err := t.txn.DeleteAll(string(tb), "id")
		t.note(err)
	}
	_, err = t.txn.DeleteAll(tableNodeUsage, "id")
	t.note(err)
	_, err = t.txn.DeleteAll(tableACLBoot, "id")
	t.note(err)
}
