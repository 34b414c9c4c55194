// Package scheduler turns an evaluation into a plan. It reconciles a job's
// desired allocations with the ones that exist (reconcile.go), filters
// nodes by feasibility (feasible.go, constraint.go), ranks the feasible ones
// (rank.go) and places allocations with their resources and ports
// (place.go, resources.go, ports.go).
//
// The package is pure: no I/O, no goroutines, no clock reads and no global
// randomness. Time and the random source come in through Options; the store
// is read through the small State interface. The one exception is the
// default ID generator, seeded once per Process call from crypto/rand like
// structs.GenerateUUID (Options.NewID replaces it).
//
// scheduler must never import anything outside the standard library except
// internal/structs: it depends on structs only.
package scheduler

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// State is the read view the scheduler needs; state.Snapshot satisfies it.
type State interface {
	Index() uint64
	Nodes() []*structs.Node
	AllocsByJob(namespace, jobID string) []*structs.Allocation
	AllocsByNode(nodeID string) []*structs.Allocation
}

// JobVersionState is optionally implemented by a State (state.Snapshot
// does). With it the scheduler compares an allocation's job version with the
// current one to choose an in-place or a destructive update; without it,
// and when the allocation does not carry its Job, updates are destructive.
type JobVersionState interface {
	JobVersion(namespace, id string, version uint64) *structs.Job
}

// Options are the inputs of Process that are not state. Zero values mean
// defaults.
type Options struct {
	// Now is the evaluation time (reschedule delays, create times). Callers
	// must set it: the scheduler never reads the clock.
	Now time.Time
	// Rand orders nodes and picks dynamic ports. nil means a generator
	// seeded from the evaluation ID.
	Rand *rand.Rand
	// NewID returns a fresh ID for allocations and follow-up evaluations.
	// nil means random version 4 UUIDs.
	NewID func() string
}

// Result is what Process computed for one evaluation.
type Result struct {
	// Plan holds the stops, in-place updates and placements; it may be a
	// no-op but is never nil.
	Plan *structs.Plan
	// FailedTGAllocs explains, per task group, why placements failed.
	FailedTGAllocs map[string]*structs.AllocMetric
	// QueuedAllocations counts, per task group of the job, allocations that
	// could not be placed.
	QueuedAllocations map[string]int
	// Blocked is true when something could not be placed: the server
	// creates a blocked evaluation retried when nodes or capacity change.
	Blocked bool
	// FollowUps are delayed reschedule evaluations to create (status
	// pending, WaitUntil set, triggered by failed-follow-up).
	FollowUps []*structs.Evaluation
	// NeedsFollowUp is true when destructive updates were held back by the
	// group's max_parallel: the server should evaluate the job again after
	// FollowUpWait.
	NeedsFollowUp bool
	// FollowUpWait is the update stagger to wait before that evaluation
	// (zero: right away).
	FollowUpWait time.Duration
}

// ErrUnsupportedJobType is returned for job types other than service and
// batch.
var ErrUnsupportedJobType = errors.New("unsupported job type")

// Process computes the plan for eval. job is the job's current version,
// nil when it was purged.
func Process(st State, eval *structs.Evaluation, job *structs.Job, opts Options) (*Result, error) {
	if st == nil || eval == nil {
		return nil, errors.New("process evaluation: nil state or evaluation")
	}
	if job != nil && job.Type != "" && job.Type != structs.JobTypeService && job.Type != structs.JobTypeBatch {
		return nil, fmt.Errorf("process evaluation %s: job type %q: %w", eval.ID, job.Type, ErrUnsupportedJobType)
	}
	c := newEvalCtx(st, eval, job, opts)
	rec := reconcile(c)
	c.applyReconcile(rec)
	if len(rec.place) > 0 {
		newPlacer(c, rec).placeAll(rec.place)
	}
	return c.res, nil
}

// evalCtx is what one Process call shares between its stages.
type evalCtx struct {
	st       State
	eval     *structs.Evaluation
	job      *structs.Job
	now      time.Time
	rng      *rand.Rand
	newID    func() string
	nodes    []*structs.Node
	nodeByID map[string]*structs.Node
	allocs   []*structs.Allocation
	plan     *structs.Plan
	res      *Result
}

// newEvalCtx reads the job's allocations and the nodes and fills defaults.
func newEvalCtx(st State, eval *structs.Evaluation, job *structs.Job, opts Options) *evalCtx {
	c := &evalCtx{st: st, eval: eval, job: job, now: opts.Now, rng: opts.Rand, newID: opts.NewID}
	if c.rng == nil {
		c.rng = seededRand(eval.ID)
	}
	if c.newID == nil {
		c.newID = newIDGen().next
	}
	c.nodes = st.Nodes()
	c.allocs = st.AllocsByJob(eval.Namespace, eval.JobID)
	c.plan = structs.NewPlan(eval, st.Index())
	c.plan.Annotations = &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{}}
	c.res = &Result{Plan: c.plan, QueuedAllocations: map[string]int{}}
	if job != nil {
		for _, tg := range job.TaskGroups {
			c.res.QueuedAllocations[tg.Name] = 0
		}
	}
	return c
}

// seededRand is the generator used when the caller passes none.
func seededRand(evalID string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(evalID))
	return rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))
}

// node returns the node with id, or nil; the index is built on first use.
func (c *evalCtx) node(id string) *structs.Node {
	if c.nodeByID == nil {
		c.nodeByID = make(map[string]*structs.Node, len(c.nodes))
		for _, n := range c.nodes {
			c.nodeByID[n.ID] = n
		}
	}
	return c.nodeByID[id]
}

// jobType is the type of the job, or of the evaluation when purged.
func (c *evalCtx) jobType() string {
	if c.job != nil && c.job.Type != "" {
		return c.job.Type
	}
	if c.eval.Type != "" {
		return c.eval.Type
	}
	return structs.JobTypeService
}

// namespace is the namespace new objects get.
func (c *evalCtx) namespace() string {
	if c.job != nil && c.job.Namespace != "" {
		return c.job.Namespace
	}
	return c.eval.Namespace
}

// applyReconcile writes the reconciler's unconditional decisions into the
// plan: stops, in-place updates, follow-up evaluations and annotations.
func (c *evalCtx) applyReconcile(rec *reconcileResult) {
	c.plan.Annotations.DesiredTGUpdates = rec.desired
	for i := range rec.stops {
		s := &rec.stops[i]
		s.copy = appendStop(c.plan, s.alloc, s.desc, s.clientStatus)
	}
	for _, a := range rec.updates {
		c.plan.AppendAlloc(a)
	}
	c.res.FollowUps = c.followUpEvals(rec.later)
	c.res.NeedsFollowUp = rec.needsFollowUp
	c.res.FollowUpWait = rec.followUpWait
}

// appendStop adds a stopped copy of a to the plan and returns the copy, so
// a later placement can record itself as the copy's NextAllocation.
func appendStop(p *structs.Plan, a *structs.Allocation, desc, clientStatus string) *structs.Allocation {
	cp := a.Copy()
	cp.DesiredStatus = structs.AllocDesiredStatusStop
	cp.DesiredDescription = desc
	if clientStatus != "" {
		cp.ClientStatus = clientStatus
	}
	p.NodeUpdate[a.NodeID] = append(p.NodeUpdate[a.NodeID], cp)
	return cp
}

// placementFailed records that one allocation of tg could not be placed.
func (c *evalCtx) placementFailed(group string, m *structs.AllocMetric) {
	if c.res.FailedTGAllocs == nil {
		c.res.FailedTGAllocs = map[string]*structs.AllocMetric{}
	}
	if _, ok := c.res.FailedTGAllocs[group]; !ok {
		c.res.FailedTGAllocs[group] = m
	}
	c.res.QueuedAllocations[group]++
	c.res.Blocked = true
}
