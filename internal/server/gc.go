package server

import (
	"math"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// GCConfig holds Nomad's garbage collection settings of the server block:
// how often the leader collects, and how long a terminal object is kept
// (for inspection) before it may be collected.
type GCConfig struct {
	// Interval is job_gc_interval (Nomad: 5m): how often the leader
	// collects jobs, evaluations, allocations and nodes.
	Interval time.Duration
	// JobThreshold is job_gc_threshold (Nomad: 4h): how long a dead job
	// and its evaluations and allocations are kept.
	JobThreshold time.Duration
	// EvalThreshold is eval_gc_threshold (Nomad: 1h): how long a
	// terminal evaluation (and its terminal allocations) of a live job
	// is kept.
	EvalThreshold time.Duration
	// BatchEvalThreshold is batch_eval_gc_threshold (Nomad: 24h): the
	// same for the evaluations of batch jobs.
	BatchEvalThreshold time.Duration
	// NodeThreshold is node_gc_threshold (Nomad: 24h): how long a down
	// node without running allocations is kept.
	NodeThreshold time.Duration
	// ACLTokenThreshold is acl_token_gc_threshold (Nomad: 1h): how long
	// an ACL token is kept after it expired.
	ACLTokenThreshold time.Duration
}

// Nomad's defaults.
const (
	DefaultGCInterval           = 5 * time.Minute
	DefaultJobGCThreshold       = 4 * time.Hour
	DefaultEvalGCThreshold      = time.Hour
	DefaultBatchEvalGCThreshold = 24 * time.Hour
	DefaultNodeGCThreshold      = 24 * time.Hour
	DefaultACLTokenGCThreshold  = time.Hour
)

// withDefaults fills the zero fields with Nomad's defaults.
func (c GCConfig) withDefaults() GCConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, DefaultGCInterval)
	def(&c.JobThreshold, DefaultJobGCThreshold)
	def(&c.EvalThreshold, DefaultEvalGCThreshold)
	def(&c.BatchEvalThreshold, DefaultBatchEvalGCThreshold)
	def(&c.NodeThreshold, DefaultNodeGCThreshold)
	def(&c.ACLTokenThreshold, DefaultACLTokenGCThreshold)
	return c
}

// gcCutoffs are the newest modify times (unix nanoseconds) an object may
// have and still be collected.
type gcCutoffs struct {
	job, eval, batchEval, node, token int64
}

// cutoffs are c's thresholds back from now; force (wharf system gc)
// ignores them, as Nomad's forced collection does.
func (c GCConfig) cutoffs(now time.Time, force bool) gcCutoffs {
	if force {
		// Forced, a token goes once it expired (never before).
		return gcCutoffs{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, now.UnixNano()}
	}
	at := func(d time.Duration) int64 { return now.Add(-d).UnixNano() }
	return gcCutoffs{job: at(c.JobThreshold), eval: at(c.EvalThreshold),
		batchEval: at(c.BatchEvalThreshold), node: at(c.NodeThreshold), token: at(c.ACLTokenThreshold)}
}

// garbage is what one collection deletes.
type garbage struct {
	jobs          []state.JobGarbage
	evals, allocs []string
	nodes         []state.NodeGarbage
	// tokens are the AccessorIDs of expired ACL tokens.
	tokens []string
}

// empty reports whether there is nothing to delete.
func (g *garbage) empty() bool {
	return len(g.jobs)+len(g.evals)+len(g.allocs)+len(g.nodes)+len(g.tokens) == 0
}

// findGarbage decides what may be collected in snap, as Nomad's core
// scheduler does: dead jobs with all their evaluations and allocations
// terminal and old enough; terminal evaluations (whose allocations are
// all collectable) and terminal allocations of live jobs; down nodes
// whose allocations are all terminal; ACL tokens expired for longer than
// their threshold (Nomad's ACL token GC). Evaluations and allocations of a
// dead job go only with the job, so a dead job never loses the objects
// its status is derived from while it stays.
func findGarbage(snap state.Snapshot, cut gcCutoffs) *garbage {
	g := &garbage{}
	for _, j := range snap.Jobs("*") {
		if jg, ok := jobGarbage(snap, j, cut.job); ok {
			g.jobs = append(g.jobs, jg)
		}
	}
	for _, e := range snap.Evals() {
		if j := snap.Job(e.Namespace, e.JobID); j != nil && j.Status == structs.JobStatusDead {
			continue
		}
		cutoff := cut.eval
		if e.Type == structs.JobTypeBatch {
			cutoff = cut.batchEval
		}
		collect, allocs := evalGarbage(snap, e, cutoff, false)
		if collect {
			g.evals = append(g.evals, e.ID)
		}
		g.allocs = append(g.allocs, allocs...)
	}
	for _, n := range snap.Nodes() {
		if nodeCollectable(snap, n, cut.node) {
			g.nodes = append(g.nodes, state.NodeGarbage{ID: n.ID, ModifyIndex: n.ModifyIndex})
		}
	}
	for _, t := range snap.ACLTokens() {
		if t.ExpirationTime != nil && t.ExpirationTime.UnixNano() <= cut.token {
			g.tokens = append(g.tokens, t.AccessorID)
		}
	}
	return g
}

// jobGarbage returns a dead job with all of its evaluations and
// allocations when every one of them may go.
func jobGarbage(snap state.Snapshot, j *structs.Job, cutoff int64) (state.JobGarbage, bool) {
	jg := state.JobGarbage{Namespace: j.Namespace, ID: j.ID, ModifyIndex: j.ModifyIndex}
	if j.Status != structs.JobStatusDead || j.SubmitTime > cutoff {
		return jg, false
	}
	for _, e := range snap.EvalsByJob(j.Namespace, j.ID) {
		collect, _ := evalGarbage(snap, e, cutoff, true)
		if !collect {
			return jg, false
		}
		jg.Evals = append(jg.Evals, e.ID)
	}
	for _, a := range snap.AllocsByJob(j.Namespace, j.ID) {
		if !allocCollectable(a, j, cutoff, nodeGone(snap)) {
			return jg, false
		}
		jg.Allocs = append(jg.Allocs, a.ID)
	}
	return jg, true
}

// evalGarbage reports whether evaluation e may be collected and which of
// its allocations may: e must be terminal and old enough and all its
// allocations collectable. The evaluations of a batch job that still
// runs stay (their allocations tell the scheduler what already ran);
// only allocations of its older versions may go. allowBatch lets the job
// collector take a dead batch job's evaluations.
func evalGarbage(snap state.Snapshot, e *structs.Evaluation, cutoff int64, allowBatch bool) (bool, []string) {
	if !e.TerminalStatus() || e.ModifyTime > cutoff {
		return false, nil
	}
	job := snap.Job(e.Namespace, e.JobID)
	allocs := snap.AllocsByEval(e.ID)
	if e.Type == structs.JobTypeBatch {
		collect := job == nil || job.Status == structs.JobStatusDead && (job.Stop || allowBatch)
		if !collect {
			old := olderVersionAllocs(allocs, job, cutoff)
			return len(old) == len(allocs), old
		}
	}
	all := true
	var ids []string
	for _, a := range allocs {
		if allocCollectable(a, job, cutoff, nodeGone(snap)) {
			ids = append(ids, a.ID)
		} else {
			all = false
		}
	}
	return all, ids
}

// olderVersionAllocs lists the terminal, old enough allocations made for
// a version of job older than its current one.
func olderVersionAllocs(allocs []*structs.Allocation, job *structs.Job, cutoff int64) []string {
	var ids []string
	for _, a := range allocs {
		if a.CreateIndex < job.JobModifyIndex && a.ModifyTime <= cutoff && a.TerminalStatus() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// allocCollectable reports whether an allocation may be collected: it is
// terminal, old enough, not running on its client, and no longer needed
// to reschedule (its job is gone, stopped or dead, it was stopped, it did
// not fail, or its failure was replaced or may not be rescheduled). A
// stopped allocation whose node is down or gone (gone reports that) runs
// nowhere any more: its client will never report it complete, so it does
// not hold its job (or itself) back.
func allocCollectable(a *structs.Allocation, job *structs.Job, cutoff int64, gone func(nodeID string) bool) bool {
	switch {
	case !a.TerminalStatus() || a.ModifyTime > cutoff:
		return false
	case a.ClientStatus == structs.AllocClientStatusRunning && !(a.ServerTerminalStatus() && gone(a.NodeID)):
		return false
	case job == nil || job.Stop || job.Status == structs.JobStatusDead:
		return true
	case a.DesiredStatus == structs.AllocDesiredStatusStop:
		return true
	case a.ClientStatus != structs.AllocClientStatusFailed:
		return true
	case a.NextAllocation != "":
		return true
	}
	return !mayReschedule(a, job)
}

// nodeGone reports, in snap, whether a node is down or no longer exists.
func nodeGone(snap state.Snapshot) func(string) bool {
	return func(id string) bool {
		n := snap.Node(id)
		return n == nil || n.Status == structs.NodeStatusDown
	}
}

// mayReschedule reports whether the failed allocation a may still be
// rescheduled under its group's reschedule policy.
func mayReschedule(a *structs.Allocation, job *structs.Job) bool {
	tg := job.LookupTaskGroup(a.TaskGroup)
	if tg == nil || tg.ReschedulePolicy == nil {
		return false
	}
	p := tg.ReschedulePolicy
	if p.Unlimited {
		return true
	}
	if p.Attempts == 0 {
		return false
	}
	if a.RescheduleTracker == nil {
		return true
	}
	since := time.Now().Add(-p.Interval).UnixNano()
	used := 0
	for _, ev := range a.RescheduleTracker.Events {
		if ev.RescheduleTime >= since {
			used++
		}
	}
	return used < p.Attempts
}

// nodeCollectable reports whether node n may be collected: down since
// before cutoff, with no allocation that is not terminal (the scheduler
// has not yet marked those lost).
func nodeCollectable(snap state.Snapshot, n *structs.Node, cutoff int64) bool {
	if n.Status != structs.NodeStatusDown {
		return false
	}
	if cutoff != math.MaxInt64 && time.Unix(n.StatusUpdatedAt, 0).UnixNano() > cutoff {
		return false
	}
	for _, a := range snap.AllocsByNode(n.ID) {
		if !a.TerminalStatus() {
			return false
		}
	}
	return true
}
