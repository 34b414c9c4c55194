package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

const (
	// maxPlanAttempts is how often a refused plan is recomputed before the
	// evaluation fails and a delayed retry is created.
	maxPlanAttempts = 5
	// failedEvalRetryDelay is when a failed evaluation is retried.
	failedEvalRetryDelay = 5 * time.Second
)

// processEval schedules one evaluation: snapshot, compute a plan, apply it
// with the evaluation's outcome in the same write. A plan refused because
// the state moved is recomputed on a fresh snapshot. It returns the index
// of the final write.
func (s *Server) processEval(ctx context.Context, e *structs.Evaluation) uint64 {
	var lastErr error
	refused := 0
	for attempt := 0; attempt < maxPlanAttempts && ctx.Err() == nil; {
		snap := s.store.Snapshot()
		cur := snap.Eval(e.ID)
		if cur == nil || cur.Status != structs.EvalStatusPending {
			return snap.Index()
		}
		job := snap.Job(cur.Namespace, cur.JobID)
		res, err := scheduler.Process(snap, cur, job, scheduler.Options{Now: time.Now(), Rand: newRand()})
		if err != nil {
			return s.failEval(ctx, cur, fmt.Errorf("scheduler: %w", err), false)
		}
		evals := outcomeEvals(snap, cur, job, res)
		index, err := s.applyPlan(ctx, snap, res, evals)
		if err == nil {
			if res.Blocked {
				index = max(index, s.retryIfNodesChanged(ctx, snap))
			}
			return index
		}
		lastErr = err
		if s.leadershipLost(ctx, err, "apply plan", "eval", cur.ID, "job", cur.JobID) {
			return 0
		}
		if errors.Is(err, state.ErrConflict) {
			attempt++
			continue
		}
		// The store refused the write (not the plan's fault): wait, with a
		// growing delay, and recompute on a fresh snapshot.
		refused++
		if ctx.Err() != nil || !s.waitWriteRetry(ctx, "apply plan", refused, err, "eval", cur.ID, "job", cur.JobID) {
			return 0
		}
	}
	if ctx.Err() != nil {
		return 0
	}
	cur := s.store.Snapshot().Eval(e.ID)
	if cur == nil {
		return 0
	}
	return s.failEval(ctx, cur, fmt.Errorf("plan refused %d times, last: %w", maxPlanAttempts, lastErr), true)
}

// retryIfNodesChanged closes the race between blocking an evaluation and
// a node joining: when the nodes changed after the snapshot the plan was
// computed from, the evaluations just blocked are retried at once.
func (s *Server) retryIfNodesChanged(ctx context.Context, snap state.Snapshot) uint64 {
	cur := s.store.Snapshot()
	if cur.TableIndex(state.TableNodes) <= snap.TableIndex(state.TableNodes) {
		return 0
	}
	evals := unblockEvals(cur, nil)
	if len(evals) == 0 {
		return 0
	}
	index, err := s.store.UpsertEvals(ctx, evals)
	if err != nil && !s.leadershipLost(ctx, err, "retry blocked evaluations") {
		s.log.Error("retry blocked evaluations", "err", err)
	}
	return index
}

// failEval marks e failed with err; with retry, a delayed follow-up
// evaluation tries again.
func (s *Server) failEval(ctx context.Context, e *structs.Evaluation, err error, retry bool) uint64 {
	c := e.Copy()
	c.Status = structs.EvalStatusFailed
	c.StatusDescription = err.Error()
	c.ModifyTime = time.Now().UnixNano()
	evals := []*structs.Evaluation{c}
	if retry {
		next := followUp(e, structs.EvalTriggerMaxPlans)
		next.WaitUntil = time.Now().Add(failedEvalRetryDelay)
		c.NextEval = next.ID
		evals = append(evals, next)
	}
	index, werr := s.store.UpsertEvals(ctx, evals)
	for n := 1; werr != nil; n++ {
		// Left pending, the evaluation would wait for the next leader.
		if s.leadershipLost(ctx, werr, "mark evaluation failed", "eval", e.ID, "job", e.JobID) || ctx.Err() != nil || !s.waitWriteRetry(ctx, "mark evaluation failed", n, werr, "eval", e.ID, "job", e.JobID) {
			return 0
		}
		index, werr = s.store.UpsertEvals(ctx, evals)
	}
	s.log.Warn("evaluation failed", "eval", e.ID, "job", e.JobID, "err", err)
	return index
}

// followUp returns a new pending evaluation for the same job.
func followUp(e *structs.Evaluation, trigger string) *structs.Evaluation {
	now := time.Now().UnixNano()
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: e.Namespace, Priority: e.Priority, Type: e.Type,
		TriggeredBy: trigger, JobID: e.JobID, Status: structs.EvalStatusPending,
		PreviousEval: e.ID, CreateTime: now, ModifyTime: now,
	}
}

// outcomeEvals is every evaluation written with a plan: the processed one
// (complete), a blocked one when something could not be placed (replacing
// any older blocked one of the job), the scheduler's delayed follow-ups,
// and the blocked evaluations of other jobs when the plan frees capacity.
func outcomeEvals(snap state.Snapshot, e *structs.Evaluation, job *structs.Job, res *scheduler.Result) []*structs.Evaluation {
	now := time.Now().UnixNano()
	done := e.Copy()
	done.Status = structs.EvalStatusComplete
	done.StatusDescription = ""
	done.FailedTGAllocs = res.FailedTGAllocs
	done.QueuedAllocations = res.QueuedAllocations
	done.SnapshotIndex = snap.Index()
	done.ModifyTime = now
	out := []*structs.Evaluation{done}
	for _, old := range snap.EvalsByJob(e.Namespace, e.JobID) {
		if old.Status == structs.EvalStatusBlocked && old.ID != e.ID {
			c := old.Copy()
			c.Status = structs.EvalStatusCancelled
			c.StatusDescription = fmt.Sprintf("superseded by evaluation %s", e.ID)
			c.ModifyTime = now
			out = append(out, c)
		}
	}
	if res.Blocked && job != nil && !job.Stop {
		blocked := followUp(e, structs.EvalTriggerQueuedAllocs)
		blocked.Status = structs.EvalStatusBlocked
		blocked.StatusDescription = "created to place remaining allocations"
		blocked.FailedTGAllocs = res.FailedTGAllocs
		blocked.QueuedAllocations = res.QueuedAllocations
		done.BlockedEval = blocked.ID
		out = append(out, blocked)
	}
	if res.NeedsFollowUp && job != nil && !job.Stop {
		// max_parallel held updates back: continue the rolling update after
		// the stagger.
		next := followUp(e, structs.EvalTriggerRollingUpdate)
		next.WaitUntil = time.Now().Add(res.FollowUpWait)
		out = append(out, next)
	}
	for _, f := range res.FollowUps {
		if done.NextEval == "" {
			done.NextEval = f.ID
		}
		out = append(out, f)
	}
	if res.Plan != nil && len(res.Plan.NodeUpdate) > 0 {
		key := structs.NamespacedID{Namespace: e.Namespace, ID: e.JobID}
		out = append(out, unblockEvals(snap, &key)...)
	}
	return out
}

// processEvalSafely is processEval that survives what it cannot process:
// a job over the server's limits (stored before the limits existed or
// were lowered) fails its evaluation with the reason, and a panic while
// scheduling fails the evaluation instead of the process. Neither is
// retried: a retry would fail the same way, including after a restart.
func (s *Server) processEvalSafely(ctx context.Context, e *structs.Evaluation) uint64 {
	if job := s.store.Snapshot().Job(e.Namespace, e.JobID); job != nil && !job.Stop {
		if err := job.CheckLimits(s.cfg.Limits.Job); err != nil {
			return s.failPending(ctx, e, fmt.Errorf("job is over the server's limits: %w", err))
		}
	}
	var index uint64
	err := s.safely("scheduling an evaluation", func() { index = s.processEval(ctx, e) },
		"eval", e.ID, "job", e.JobID, "namespace", e.Namespace)
	if err != nil {
		return s.failPending(ctx, e, err)
	}
	return index
}

// failPending fails e unless it is no longer pending.
func (s *Server) failPending(ctx context.Context, e *structs.Evaluation, err error) uint64 {
	cur := s.store.Snapshot().Eval(e.ID)
	if cur == nil || cur.Status != structs.EvalStatusPending {
		return s.store.Snapshot().Index()
	}
	return s.failEval(ctx, cur, err, false)
}
