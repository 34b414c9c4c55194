package scheduler

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

const (
	// rescheduleWindow: a failed allocation whose reschedule time is at
	// most this far away is rescheduled now rather than by a follow-up.
	rescheduleWindow = time.Second
	// followUpBatchWindow: failed allocations whose reschedule times are
	// this close share one follow-up evaluation.
	followUpBatchWindow = 5 * time.Second
	// keptRescheduleEvents bounds the tracker of unlimited policies; the
	// delay functions need only the last two events.
	keptRescheduleEvents = 5
)

// Reschedule delay functions.
const (
	delayConstant    = "constant"
	delayExponential = "exponential"
	delayFibonacci   = "fibonacci"
)

// reschedulePolicy is the group's policy, else the job's, else Nomad's
// default for the job type.
func reschedulePolicy(job *structs.Job, tg *structs.TaskGroup) *structs.ReschedulePolicy {
	if tg.ReschedulePolicy != nil {
		return tg.ReschedulePolicy
	}
	if job.Reschedule != nil {
		return job.Reschedule
	}
	return structs.DefaultReschedulePolicy(job.Type)
}

// rescheduleKind classifies a failed allocation: rescheduled now, later
// (with its time and delay), or not at all.
func (r *reconciler) rescheduleKind(tg *structs.TaskGroup, a *structs.Allocation) (slotKind, time.Time, time.Duration) {
	now := r.c.now
	if f := a.DesiredTransition.ForceReschedule; f != nil && *f {
		return slotNow, now, 0
	}
	p := reschedulePolicy(r.c.job, tg)
	if !rescheduleEligible(p, a.RescheduleTracker, now) {
		return slotFailed, time.Time{}, 0
	}
	delay := nextDelay(p, a.RescheduleTracker)
	at := failTime(a, now).Add(delay)
	if a.FollowupEvalID == r.c.eval.ID || !at.After(now.Add(rescheduleWindow)) {
		return slotNow, at, delay
	}
	return slotLater, at, delay
}

// rescheduleEligible reports whether the policy allows one more
// reschedule: unlimited, or fewer than Attempts within Interval.
func rescheduleEligible(p *structs.ReschedulePolicy, tr *structs.RescheduleTracker, now time.Time) bool {
	if p == nil {
		return false
	}
	if p.Unlimited {
		return true
	}
	if p.Attempts <= 0 {
		return false
	}
	n := 0
	if tr != nil {
		for _, e := range tr.Events {
			if withinInterval(p, e, now) {
				n++
			}
		}
	}
	return n < p.Attempts
}

// withinInterval reports whether a reschedule event counts against the
// policy's attempts at now.
func withinInterval(p *structs.ReschedulePolicy, e *structs.RescheduleEvent, now time.Time) bool {
	return p.Interval <= 0 || now.Sub(time.Unix(0, e.RescheduleTime)) < p.Interval
}

// nextDelay is the wait before the next reschedule: the policy's delay
// grown by its delay function over earlier reschedules, capped by MaxDelay.
func nextDelay(p *structs.ReschedulePolicy, tr *structs.RescheduleTracker) time.Duration {
	var ev []*structs.RescheduleEvent
	if tr != nil {
		ev = tr.Events
	}
	n := len(ev)
	d := p.Delay
	switch p.DelayFunction {
	case delayExponential:
		if n > 0 && ev[n-1].Delay > 0 {
			d = addDelays(ev[n-1].Delay, ev[n-1].Delay)
		}
	case delayFibonacci:
		if n > 1 && addDelays(ev[n-1].Delay, ev[n-2].Delay) > 0 {
			d = addDelays(ev[n-1].Delay, ev[n-2].Delay)
		}
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// addDelays adds two non-negative delays, saturating instead of
// overflowing: stored reschedule events may hold any value.
func addDelays(a, b time.Duration) time.Duration {
	a, b = max(a, 0), max(b, 0)
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// failTime is when the allocation failed: the last task finish time, else
// its last modification, else now.
func failTime(a *structs.Allocation, now time.Time) time.Time {
	var t time.Time
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(t) {
			t = ts.FinishedAt
		}
	}
	if !t.IsZero() {
		return t
	}
	if a.ModifyTime > 0 {
		return time.Unix(0, a.ModifyTime)
	}
	return now
}

// nextTracker is the replacement's reschedule tracker: prev's events still
// relevant to the policy plus this reschedule.
func nextTracker(p *structs.ReschedulePolicy, prev *structs.Allocation, now time.Time, delay time.Duration) *structs.RescheduleTracker {
	var events []*structs.RescheduleEvent
	if prev.RescheduleTracker != nil {
		for _, e := range prev.RescheduleTracker.Events {
			if p.Unlimited || withinInterval(p, e, now) {
				events = append(events, e)
			}
		}
	}
	if p.Unlimited && len(events) >= keptRescheduleEvents {
		events = events[len(events)-keptRescheduleEvents+1:]
	}
	events = append(slices.Clip(events), &structs.RescheduleEvent{
		RescheduleTime: now.UnixNano(), PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: delay,
	})
	return &structs.RescheduleTracker{Events: events}
}

// followUpEvals creates the delayed evaluations that reschedule failed
// allocations later, batching close times, and marks each allocation with
// its evaluation (an attribute update in the plan).
func (c *evalCtx) followUpEvals(later []laterReq) []*structs.Evaluation {
	if len(later) == 0 {
		return nil
	}
	slices.SortStableFunc(later, func(x, y laterReq) int { return x.at.Compare(y.at) })
	var evals []*structs.Evaluation
	var cur *structs.Evaluation
	var start time.Time
	for _, l := range later {
		if cur == nil || l.at.Sub(start) > followUpBatchWindow {
			cur, start = c.newFollowUp(l.at), l.at
			evals = append(evals, cur)
		}
		if l.at.After(cur.WaitUntil) {
			cur.WaitUntil = l.at
		}
		u := l.alloc.Copy()
		u.FollowupEvalID = cur.ID
		c.plan.AppendAlloc(u)
	}
	return evals
}

// newFollowUp is a pending evaluation of the job to run at waitUntil.
func (c *evalCtx) newFollowUp(waitUntil time.Time) *structs.Evaluation {
	e := &structs.Evaluation{
		ID: c.newID(), Namespace: c.eval.Namespace, Priority: c.eval.Priority, Type: c.jobType(),
		TriggeredBy: structs.EvalTriggerFailedFollowUp, JobID: c.eval.JobID,
		Status: structs.EvalStatusPending, WaitUntil: waitUntil, PreviousEval: c.eval.ID,
		CreateTime: c.now.UnixNano(), ModifyTime: c.now.UnixNano(),
	}
	if c.job != nil {
		e.JobModifyIndex = c.job.JobModifyIndex
		e.Priority = cmp.Or(c.job.Priority, e.Priority)
	}
	return e
}
