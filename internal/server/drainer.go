package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// drainTables are the tables whose changes can move a drain on.
var drainTables = []state.Table{state.TableNodes, state.TableAllocs, state.TableServices}

// drainRoundInterval is the least time between two rounds of the drainer:
// a busy cluster changes allocations many times a second, and a round
// reads every allocation of the jobs being drained.
const drainRoundInterval = 100 * time.Millisecond

// runDrainer drains nodes while this server leads (ctx is the leadership
// context, so every write stops with the leadership): each round plans
// from a fresh snapshot, marks allocations for migration with one
// evaluation per job, completes finished drains, and waits for a change
// of nodes, allocations or service health, or for the plan's wake time.
func (s *Server) runDrainer(ctx context.Context) {
	failures := 0
	var last time.Time
	for ctx.Err() == nil {
		if wait := drainRoundInterval - time.Since(last); wait > 0 && !sleepCtx(ctx, wait) {
			return
		}
		last = time.Now()
		snap := s.store.Snapshot()
		index := snap.TableIndex(drainTables...)
		p := planDrain(snap, time.Now())
		if err := s.applyDrain(ctx, p); err != nil {
			failures++
			if s.leadershipLost(ctx, err, "drain nodes") || ctx.Err() != nil ||
				!s.waitWriteRetry(ctx, "drain nodes", failures, err) {
				return
			}
			continue
		}
		failures = 0
		s.waitDrain(ctx, snap, index, p.wake)
	}
}

// waitDrain waits for a change that may move a drain on: of nodes only
// while none drains (a drain starts with a node write), else of the
// drain tables, or until wake.
func (s *Server) waitDrain(ctx context.Context, snap state.Snapshot, index uint64, wake time.Time) {
	tables := drainTables
	if !anyDraining(snap) {
		tables, index = []state.Table{state.TableNodes}, snap.TableIndex(state.TableNodes)
	}
	wctx := ctx
	if !wake.IsZero() {
		var cancel context.CancelFunc
		// A little after the wake time, so that the next round sees it past.
		wctx, cancel = context.WithDeadline(ctx, wake.Add(10*time.Millisecond))
		defer cancel()
	}
	_, _ = s.store.WaitForChange(wctx, index, tables...)
}

// anyDraining reports whether some node has a drain strategy.
func anyDraining(snap state.Snapshot) bool {
	for _, n := range snap.Nodes() {
		if n.DrainStrategy != nil {
			return true
		}
	}
	return false
}

// applyDrain writes what a round decided. It stops at the first write
// refused for lost leadership.
func (s *Server) applyDrain(ctx context.Context, p *drainPlan) error {
	var errs []error
	for node, n := range p.forced {
		s.log.Warn("node drain deadline reached: stopping the allocations left", "node", node, "allocs", n)
	}
	for _, k := range sortedJobKeys(p.migrate) {
		if err := s.markDrained(ctx, k, p.migrate[k]); err != nil {
			if errors.Is(err, state.ErrNotLeader) {
				return err
			}
			errs = append(errs, err)
		}
	}
	for _, n := range p.done {
		if err := s.completeDrain(ctx, n); err != nil {
			if errors.Is(err, state.ErrNotLeader) {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// markDrained marks ids of job k for migration with a node-drain
// evaluation of the job, which stops them and places replacements.
func (s *Server) markDrained(ctx context.Context, k structs.NamespacedID, ids []string) error {
	snap := s.store.Snapshot()
	job := snap.Job(k.Namespace, k.ID)
	eval := newEval(orGoneJob(job, k), evalTriggerNodeDrain)
	if a := snap.Alloc(ids[0]); a != nil {
		eval.NodeID = a.NodeID
	}
	if job == nil {
		return s.stopGoneJob(ctx, snap, eval)
	}
	if _, err := s.markMigrate(ctx, job, ids, eval); err != nil {
		return fmt.Errorf("migrate %d allocations of job %q: %w", len(ids), k.ID, err)
	}
	s.log.Info("node drain: allocations marked for migration", "job", k.ID, "namespace", k.Namespace,
		"allocs", len(ids), "eval", eval.ID)
	return nil
}

// stopGoneJob writes eval for allocations whose job is gone (purged
// without being stopped): the scheduler stops them. No plan may place, or
// mark, allocations of a job that is gone. One pending evaluation is
// enough.
func (s *Server) stopGoneJob(ctx context.Context, snap state.Snapshot, eval *structs.Evaluation) error {
	for _, e := range snap.EvalsByJob(eval.Namespace, eval.JobID) {
		if e.Status == structs.EvalStatusPending && e.TriggeredBy == evalTriggerNodeDrain {
			return nil
		}
	}
	if _, err := s.store.UpsertEvals(ctx, []*structs.Evaluation{eval}); err != nil {
		return fmt.Errorf("stop the allocations of gone job %q: %w", eval.JobID, err)
	}
	s.log.Info("node drain: stopping the allocations of a job that is gone", "job", eval.JobID, "namespace", eval.Namespace, "eval", eval.ID)
	return nil
}

// orGoneJob returns job, or for a job that is gone one that names it.
func orGoneJob(job *structs.Job, k structs.NamespacedID) *structs.Job {
	if job != nil {
		return job
	}
	return &structs.Job{Namespace: k.Namespace, ID: k.ID, Priority: structs.DefaultPriority, Type: structs.JobTypeService}
}

// completeDrain clears the drain strategy of a node with nothing left to
// move, unless the drain changed since the round's snapshot. The node
// stays ineligible, as in Nomad.
func (s *Server) completeDrain(ctx context.Context, seen *structs.Node) error {
	cur := s.store.Snapshot().Node(seen.ID)
	if cur == nil || !sameDrain(cur.DrainStrategy, seen.DrainStrategy) {
		return nil
	}
	now := time.Now().UTC()
	c := cur.Copy()
	c.DrainStrategy, c.Drain = nil, false
	c.LastDrain = lastDrain(cur, structs.DrainStatusComplete, now)
	withNodeEvent(c, &structs.NodeEvent{Subsystem: "Drain", Message: "Node drain complete", Timestamp: now})
	if _, err := s.store.UpsertNode(ctx, c); err != nil {
		return fmt.Errorf("complete the drain of node %q: %w", seen.ID, err)
	}
	s.log.Info("node drain complete", "node", seen.ID, "name", seen.Name)
	return nil
}

// sameDrain reports whether two drain strategies are the same drain.
func sameDrain(a, b *structs.DrainStrategy) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.DrainSpec == b.DrainSpec && a.StartedAt.Equal(b.StartedAt) && a.ForceDeadline.Equal(b.ForceDeadline)
}

// sleepCtx waits d, or less when ctx ends first; it reports whether ctx
// is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
