package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// migrateRetries is how often a migrate mark is retried when it races
// with the scheduler's plans.
const migrateRetries = 8

// AllocStopResponse is the answer of PUT /v1/allocation/:id/stop.
type AllocStopResponse struct {
	EvalID string
	Index  uint64
}

// allocStop stops one allocation and has the scheduler place a
// replacement (Nomad's alloc stop): the allocation is marked for
// migration and an evaluation of its job is created.
func (s *Server) allocStop(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	snap := s.store.Snapshot()
	a := snap.Alloc(id)
	if a == nil {
		return nil, 0, errorf(http.StatusNotFound, "allocation %q not found", id)
	}
	if a.ServerTerminalStatus() {
		return nil, 0, errorf(http.StatusBadRequest, "allocation %s is already stopped (desired status %q)", structs.ShortID(a.ID), a.DesiredStatus)
	}
	job := snap.Job(a.Namespace, a.JobID)
	if job == nil {
		return nil, 0, errorf(http.StatusNotFound, "job %q of allocation %s not found", a.JobID, structs.ShortID(a.ID))
	}
	eval := newEval(job, structs.EvalTriggerAllocStop)
	index, err := s.markMigrate(r.Context(), job, []string{a.ID}, eval)
	if err != nil {
		return nil, 0, fmt.Errorf("stop allocation %s: %w", structs.ShortID(a.ID), err)
	}
	return &AllocStopResponse{EvalID: eval.ID, Index: index}, index, nil
}

// markMigrate sets DesiredTransition.Migrate on the allocations ids of
// job and writes eval in the same transaction (as a plan that updates the
// allocations in place). Allocations that became server-terminal are left
// alone; the eval is written anyway. It retries when the write races with
// a plan.
func (s *Server) markMigrate(ctx context.Context, job *structs.Job, ids []string, eval *structs.Evaluation) (uint64, error) {
	var err error
	for range migrateRetries {
		snap := s.store.Snapshot()
		plan := &structs.Plan{
			EvalID: eval.ID, Namespace: job.Namespace, JobID: job.ID, Priority: job.Priority,
			SnapshotIndex: snap.Index(), NodeAllocation: map[string][]*structs.Allocation{},
		}
		for _, id := range ids {
			if a := snap.Alloc(id); a != nil && !a.ServerTerminalStatus() {
				plan.AppendAlloc(migrating(a))
			}
		}
		if plan.IsNoOp() {
			return s.store.UpsertEvals(ctx, []*structs.Evaluation{eval})
		}
		var index uint64
		index, err = s.store.ApplyPlan(ctx, plan, []*structs.Evaluation{eval})
		if !errors.Is(err, state.ErrConflict) {
			return index, err
		}
	}
	return 0, err
}

// migrating returns a copy of a marked for migration.
func migrating(a *structs.Allocation) *structs.Allocation {
	c := a.Copy()
	c.Job = nil
	yes := true
	c.DesiredTransition.Migrate = &yes
	return c
}
