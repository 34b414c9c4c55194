package catalog

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestOwnerAndUsedByTasks(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	job := statetest.NewJob("web")
	job.TaskGroups[0].Services = []*structs.Service{{Name: "declared"}}
	if _, err := st.RegisterJob(ctx, job, nil, nil); err != nil {
		t.Fatal(err)
	}
	node := statetest.NewNode("a")
	if _, err := st.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	plan := structs.NewPlan(statetest.NewEval(job), st.Snapshot().Index())
	alloc := statetest.NewAlloc(st.Snapshot().Job("default", "web"), node, plan.EvalID, 0)
	plan.AppendAlloc(alloc)
	if _, err := st.ApplyPlan(ctx, plan, nil); err != nil {
		t.Fatal(err)
	}
	regs := []*structs.ServiceRegistration{
		{ID: "task", ServiceName: "web", Namespace: "default", NodeID: node.ID, AllocID: alloc.ID},
		{ID: "fake-alloc", ServiceName: "fake", Namespace: "default", NodeID: node.ID, AllocID: "nope"},
		{ID: "unknown-node", ServiceName: "ghost", Namespace: "default", NodeID: "ghost-node", AllocID: alloc.ID},
		{ID: "external", ServiceName: "pg", Namespace: "default"},
	}
	if _, err := st.UpsertServiceRegistrations(ctx, regs); err != nil {
		t.Fatal(err)
	}
	snap := st.Snapshot()
	owners := map[string]string{"task": node.ID, "fake-alloc": node.ID, "unknown-node": "", "external": ""}
	for id, want := range owners {
		if got := Owner(snap, snap.ServiceRegistration(id)); got != want {
			t.Errorf("Owner(%s) = %q, want %q", id, got, want)
		}
	}
	used := []struct {
		name, except string
		want         bool
	}{
		{"web", "", true}, {"web", node.ID, false}, {"declared", "", true}, {"fake", "", false},
		{"ghost", "", false}, {"pg", "", false}, {"nothing", "", false},
	}
	for _, tc := range used {
		if got := UsedByTasks(snap, "default", tc.name, tc.except); got != tc.want {
			t.Errorf("UsedByTasks(%q, except %q) = %v, want %v", tc.name, tc.except, got, tc.want)
		}
	}
}
