package etcdstore

import (
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestFenceRevokedBetweenPlanParts: a plan split in several transactions
// whose leadership ends after the first part keeps that part, refuses
// the rest with state.ErrNotLeader and sends no retry.
func TestFenceRevokedBetweenPlanParts(t *testing.T) {
	ctx := testCtx(t)
	s := openTest(t, Config{Prefix: fmt.Sprintf("/wharftest/fence-parts-%d/", prefixes.Add(1)), MaxTxnOps: 16})
	sess, err := concurrency.NewSession(s.Client(), concurrency.WithTTL(30))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	el := concurrency.NewElection(sess, s.cfg.Prefix+"election")
	if err := el.Campaign(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	fenced := state.WithFence(ctx, state.Fence{Key: el.Key(), Rev: el.Rev()})

	job := statetest.NewJob("web")
	must(t)(s.RegisterJob(ctx, job, nil, nil))
	node := statetest.NewNode("n1")
	must(t)(s.UpsertNode(ctx, node))
	stored := s.Snapshot().Job("default", "web")
	ev := statetest.NewEval(stored)
	plan := structs.NewPlan(ev, s.Snapshot().Index())
	for i := range 20 {
		plan.AppendAlloc(statetest.NewAlloc(stored, node, ev.ID, i))
	}
	commits := 0
	s.afterCommit = func(uint64) {
		if commits++; commits == 1 {
			if _, err := s.Client().Revoke(ctx, sess.Lease()); err != nil {
				t.Errorf("revoke: %v", err)
			}
		}
	}
	writes := s.Writes()
	_, err = s.ApplyPlan(fenced, plan, nil)
	if !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("plan whose leadership ended midway: error %v, want %v", err, state.ErrNotLeader)
	}
	if sent := s.Writes() - writes; sent != 2 {
		t.Fatalf("%d transactions sent, want 2 (one applied, one refused, no retry)", sent)
	}
	got := len(s.Snapshot().AllocsByJob("default", "web"))
	if got == 0 || got == 20 {
		t.Fatalf("%d of 20 allocations stored, want only the first transaction's", got)
	}
}
