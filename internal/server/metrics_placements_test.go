package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// halfApplyStore applies only the first half of the placements of the
// first plan that places more than one allocation, then refuses the rest
// as a conflict: what the etcd store does when a later transaction of a
// plan split over several loses a race.
type halfApplyStore struct {
	state.Store
	done atomic.Bool
}

func (s *halfApplyStore) ApplyPlan(ctx context.Context, plan *structs.Plan, evals []*structs.Evaluation) (uint64, error) {
	n := 0
	for _, allocs := range plan.NodeAllocation {
		n += len(allocs)
	}
	if n < 2 || s.done.Swap(true) {
		return s.Store.ApplyPlan(ctx, plan, evals)
	}
	part := *plan
	part.NodeAllocation = map[string][]*structs.Allocation{}
	left := n / 2
	for node, allocs := range plan.NodeAllocation {
		k := min(left, len(allocs))
		part.NodeAllocation[node] = allocs[:k]
		left -= k
	}
	if _, err := s.Store.ApplyPlan(ctx, &part, nil); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("later transaction refused: %w", state.ErrConflict)
}

// placementsCounted reads wharf_scheduler_placements_total.
func placementsCounted(t *testing.T) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "wharf_scheduler_placements_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no wharf_scheduler_placements_total")
	return 0
}

// TestPlacementsCountedWhenPlanPartlyApplied places a job whose first plan
// is applied only in part: the placements counter must still count every
// allocation placed, the applied half and the recomputed plan's rest.
func TestPlacementsCountedWhenPlanPartlyApplied(t *testing.T) {
	wrapped := &halfApplyStore{}
	ts := newTestServer(t, func(c *Config) {
		wrapped.Store = c.Store
		c.Store = wrapped
	})
	for i := range 2 {
		ts.registerNode(fakeNode(fmt.Sprintf("n%d", i), "dc1", "raw_exec"))
	}
	before := placementsCounted(t)
	resp := ts.register(testJob("counted", 8, "raw_exec"))
	ts.waitFor("8 allocations placed", func() bool { return len(ts.liveAllocs("counted")) == 8 })
	ts.waitEval(resp.EvalID)
	if !wrapped.done.Load() {
		t.Fatal("no plan was applied in part")
	}
	if got := placementsCounted(t) - before; got != 8 {
		t.Fatalf("counted %v placements, want 8", got)
	}
}
