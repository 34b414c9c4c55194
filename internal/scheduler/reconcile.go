package scheduler

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// Descriptions the scheduler gives the allocations it stops.
const (
	descJobStopped   = "alloc not needed: job stopped"
	descGroupRemoved = "alloc not needed: group removed from job"
	descScaleDown    = "alloc not needed: group count lowered"
	descLost         = "alloc lost: its node is down or gone"
	descUpdated      = "alloc replaced by a new job version"
	descRescheduled  = "alloc rescheduled after it failed"
	descMigrated     = "alloc migrated off its node"
)

// stopReq is an allocation the plan stops whatever placement does.
type stopReq struct {
	alloc        *structs.Allocation
	desc         string
	clientStatus string
	copy         *structs.Allocation // the plan's copy, once written
}

// placeReq is one allocation to place.
type placeReq struct {
	tg    *structs.TaskGroup
	index int
	name  string // empty: built from the job, group and index
	// prev is the allocation the new one replaces, if any.
	prev *structs.Allocation
	// prevStop, when set, stops prev with this description once the
	// replacement is placed (destructive update, reschedule, migration).
	prevStop string
	// lostStop is 1 + the index in reconcileResult.stops of the stop of
	// prev made before placing (node lost, or drained).
	lostStop   int
	reschedule bool
	delay      time.Duration
	avoidNode  string
}

// laterReq is a failed allocation to reschedule at a later time.
type laterReq struct {
	alloc *structs.Allocation
	at    time.Time
}

// reconcileResult is what the reconciler decided.
type reconcileResult struct {
	stops         []stopReq
	updates       []*structs.Allocation
	place         []placeReq
	later         []laterReq
	desired       map[string]*structs.DesiredUpdates
	needsFollowUp bool
	followUpWait  time.Duration
}

// slotKind says what the reconciler does with one existing allocation.
type slotKind uint8

// Slot kinds.
const (
	slotKeep    slotKind = iota // pending or running
	slotDone                    // batch allocation that completed
	slotFailed                  // failed, not to be rescheduled
	slotLater                   // failed, rescheduled by a follow-up eval
	slotNow                     // failed, rescheduled now
	slotLost                    // on a down or missing node
	slotMigrate                 // marked for migration
)

// slot is an existing allocation that fills one of the group's count.
type slot struct {
	alloc *structs.Allocation
	index int
	kind  slotKind
	at    time.Time
	delay time.Duration
}

// reconciler compares one job's desired and existing allocations.
type reconciler struct {
	c        *evalCtx
	out      *reconcileResult
	oldJobs  map[uint64]*structs.Job
	changes  map[changeKey]groupChange
	checkers map[string]*groupChecker
	filter   *nodeFilter
}

// reconcile decides stops, updates and placements for the evaluated job.
func reconcile(c *evalCtx) *reconcileResult {
	r := &reconciler{c: c, out: &reconcileResult{desired: map[string]*structs.DesiredUpdates{}}}
	byGroup := groupAllocs(c.allocs)
	names := slices.Sorted(maps.Keys(byGroup))
	if c.job.Stopped() {
		for _, name := range names {
			r.stopGroup(name, byGroup[name], descJobStopped)
		}
		return r.out
	}
	for _, name := range names {
		if c.job.LookupTaskGroup(name) == nil {
			r.stopGroup(name, byGroup[name], descGroupRemoved)
		}
	}
	for _, tg := range c.job.TaskGroups {
		r.group(tg, byGroup[tg.Name])
	}
	return r.out
}

// groupAllocs splits allocations by group, each sorted by name index,
// create time and ID so decisions are deterministic.
func groupAllocs(allocs []*structs.Allocation) map[string][]*structs.Allocation {
	out := map[string][]*structs.Allocation{}
	for _, a := range allocs {
		out[a.TaskGroup] = append(out[a.TaskGroup], a)
	}
	for _, as := range out {
		slices.SortFunc(as, func(x, y *structs.Allocation) int {
			return cmp.Or(cmp.Compare(nameIndex(x.Name), nameIndex(y.Name)),
				cmp.Compare(x.CreateTime, y.CreateTime), cmp.Compare(x.ID, y.ID))
		})
	}
	return out
}

// desired returns the annotation counters of a group.
func (r *reconciler) desired(group string) *structs.DesiredUpdates {
	du := r.out.desired[group]
	if du == nil {
		du = &structs.DesiredUpdates{}
		r.out.desired[group] = du
	}
	return du
}

// stop records an unconditional stop and returns its position.
func (r *reconciler) stop(a *structs.Allocation, desc, clientStatus string) int {
	r.out.stops = append(r.out.stops, stopReq{alloc: a, desc: desc, clientStatus: clientStatus})
	return len(r.out.stops) - 1
}

// nodeLost reports whether the node is down or gone.
func (r *reconciler) nodeLost(id string) bool {
	n := r.c.node(id)
	return n == nil || n.Status == structs.NodeStatusDown
}

// stopGroup stops every allocation of a group that still holds resources.
func (r *reconciler) stopGroup(name string, allocs []*structs.Allocation, desc string) {
	du := r.desired(name)
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		status := ""
		if r.nodeLost(a.NodeID) {
			status = structs.AllocClientStatusLost
		}
		r.stop(a, desc, status)
		du.Stop++
	}
}

// group reconciles one task group.
func (r *reconciler) group(tg *structs.TaskGroup, allocs []*structs.Allocation) {
	du := r.desired(tg.Name)
	slots := r.classify(tg, allocs)
	slots = r.scaleDown(tg, slots, du)
	budget := r.updateBudget(tg)
	for i := range slots {
		r.handle(tg, &slots[i], du, &budget)
	}
	r.scaleUp(tg, slots, du)
}

// classify turns the group's allocations into slots, dropping those that
// no longer count (stopped, replaced, completed service allocations).
func (r *reconciler) classify(tg *structs.TaskGroup, allocs []*structs.Allocation) []slot {
	slots := make([]slot, 0, len(allocs))
	for _, a := range allocs {
		if a.ServerTerminalStatus() || (a.ClientTerminalStatus() && a.NextAllocation != "") {
			continue
		}
		s := slot{alloc: a, index: nameIndex(a.Name)}
		switch a.ClientStatus {
		case structs.AllocClientStatusComplete:
			if r.c.jobType() != structs.JobTypeBatch {
				continue
			}
			s.kind = slotDone
		case structs.AllocClientStatusFailed:
			s.kind, s.at, s.delay = r.rescheduleKind(tg, a)
		case structs.AllocClientStatusLost:
			s.kind = slotLost
		default:
			s.kind = r.liveKind(a)
		}
		slots = append(slots, s)
	}
	return slots
}

// liveKind classifies an allocation the client still runs.
func (r *reconciler) liveKind(a *structs.Allocation) slotKind {
	if r.nodeLost(a.NodeID) {
		return slotLost
	}
	if m := a.DesiredTransition.Migrate; m != nil && *m {
		return slotMigrate
	}
	return slotKeep
}

// scaleDown stops the highest indexes when there are more slots than the
// group's count; completed batch allocations are never stopped.
func (r *reconciler) scaleDown(tg *structs.TaskGroup, slots []slot, du *structs.DesiredUpdates) []slot {
	excess := len(slots) - tg.Count
	if excess <= 0 {
		return slots
	}
	order := make([]int, len(slots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(slots[y].index, slots[x].index) })
	drop := make([]bool, len(slots))
	for _, i := range order {
		if excess == 0 {
			break
		}
		if slots[i].kind == slotDone {
			continue
		}
		drop[i] = true
		excess--
		r.dropSlot(slots[i], du)
	}
	kept := slots[:0]
	for i, s := range slots {
		if !drop[i] {
			kept = append(kept, s)
		}
	}
	return kept
}

// dropSlot stops an allocation removed by a scale down.
func (r *reconciler) dropSlot(s slot, du *structs.DesiredUpdates) {
	du.Stop++
	if s.kind == slotLost {
		r.stop(s.alloc, descLost, structs.AllocClientStatusLost)
		return
	}
	r.stop(s.alloc, descScaleDown, "")
}

// handle decides what happens to one kept slot.
func (r *reconciler) handle(tg *structs.TaskGroup, s *slot, du *structs.DesiredUpdates, budget *int) {
	a := s.alloc
	switch s.kind {
	case slotLost:
		du.Stop++
		du.Place++
		i := r.stop(a, descLost, structs.AllocClientStatusLost)
		r.out.place = append(r.out.place, placeReq{tg: tg, index: s.index, name: a.Name, prev: a, lostStop: i + 1})
	case slotMigrate:
		// As Nomad: a drained node's allocation stops now, whether or
		// not its replacement finds a node (it then waits, blocked).
		du.Migrate++
		i := r.stop(a, descMigrated, "")
		r.out.place = append(r.out.place, placeReq{tg: tg, index: s.index, name: a.Name, prev: a,
			lostStop: i + 1, avoidNode: a.NodeID})
	case slotNow:
		du.RescheduleNow++
		du.Place++
		r.replace(tg, s, descRescheduled, true)
	case slotLater:
		if r.outdated(a) {
			du.DestructiveUpdate++
			r.replace(tg, s, descUpdated, false)
			return
		}
		du.RescheduleLater++
		if a.FollowupEvalID == "" {
			r.out.later = append(r.out.later, laterReq{alloc: a, at: s.at})
		}
	case slotDone:
		du.Ignore++
	default:
		r.update(tg, s, du, budget)
	}
}

// replace asks for a replacement of the slot's allocation, which is
// stopped with desc once the replacement is placed.
func (r *reconciler) replace(tg *structs.TaskGroup, s *slot, desc string, reschedule bool) {
	req := placeReq{tg: tg, index: s.index, name: s.alloc.Name, prev: s.alloc, prevStop: desc,
		reschedule: reschedule, delay: s.delay}
	if reschedule || s.kind == slotMigrate {
		req.avoidNode = s.alloc.NodeID
	}
	r.out.place = append(r.out.place, req)
}

// updateBudget is how many destructive updates of running allocations
// this evaluation may make: the group's max_parallel for service jobs, or
// -1 for no limit.
func (r *reconciler) updateBudget(tg *structs.TaskGroup) int {
	if r.c.jobType() == structs.JobTypeBatch || tg.Update == nil || tg.Update.MaxParallel <= 0 {
		return -1
	}
	return tg.Update.MaxParallel
}

// outdated reports whether the allocation runs an older job version.
func (r *reconciler) outdated(a *structs.Allocation) bool {
	return a.JobVersion != r.c.job.Version
}

// update brings an allocation of an older job version up to date: in
// place when only non-destructive fields changed, else by replacing it,
// within the update budget.
func (r *reconciler) update(tg *structs.TaskGroup, s *slot, du *structs.DesiredUpdates, budget *int) {
	a := s.alloc
	if !r.outdated(a) {
		du.Ignore++
		return
	}
	if s.kind == slotFailed {
		du.DestructiveUpdate++
		r.replace(tg, s, descUpdated, false)
		return
	}
	if r.inPlaceOK(tg, a) {
		du.InPlaceUpdate++
		r.out.updates = append(r.out.updates, r.inPlace(a))
		return
	}
	if *budget == 0 {
		du.Ignore++
		r.out.needsFollowUp = true
		r.out.followUpWait = tg.Update.Stagger
		return
	}
	if *budget > 0 {
		*budget--
	}
	du.DestructiveUpdate++
	r.replace(tg, s, descUpdated, false)
}

// inPlace returns the allocation moved to the current job version.
func (r *reconciler) inPlace(a *structs.Allocation) *structs.Allocation {
	u := a.Copy()
	u.JobVersion = r.c.job.Version
	u.EvalID = r.c.eval.ID
	u.ModifyTime = r.c.now.UnixNano()
	if u.Job != nil {
		u.Job = r.c.job
	}
	return u
}

// scaleUp places new allocations with the lowest free name indexes until
// the group has its count.
func (r *reconciler) scaleUp(tg *structs.TaskGroup, slots []slot, du *structs.DesiredUpdates) {
	missing := tg.Count - len(slots)
	if missing <= 0 {
		return
	}
	r.out.place = slices.Grow(r.out.place, missing)
	used := make([]bool, tg.Count)
	for _, s := range slots {
		if s.index >= 0 && s.index < tg.Count {
			used[s.index] = true
		}
	}
	for idx := 0; missing > 0 && idx < tg.Count; idx++ {
		if used[idx] {
			continue
		}
		r.out.place = append(r.out.place, placeReq{tg: tg, index: idx})
		du.Place++
		missing--
	}
}
