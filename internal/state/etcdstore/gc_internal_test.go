package etcdstore

import (
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

// TestReloadAfterCompactionDropsCollected: a store whose watch was
// behind while objects were collected and the history compacted reloads
// without them (a reload sees no delete events, only what is left).
func TestReloadAfterCompactionDropsCollected(t *testing.T) {
	ctx := testCtx(t)
	cfg := Config{Endpoints: sharedEtcd.Endpoints(), Prefix: NewTestPrefix()}
	writer := openTest(t, cfg)
	must(t)(writer.RegisterJob(ctx, statetest.NewJob("old"), nil, nil))
	n := statetest.NewNode("down")
	must(t)(writer.UpsertNode(ctx, n))
	stale := newStore(cfg)
	if err := stale.connect(); err != nil {
		t.Fatal(err)
	}
	rev, err := stale.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stale.Snapshot().Job("default", "old") == nil {
		t.Fatal("the stale store did not load the job")
	}
	j := writer.Snapshot().Job("default", "old")
	must(t)(writer.PurgeJobs(ctx, []state.JobGarbage{{Namespace: "default", ID: "old", ModifyIndex: j.ModifyIndex}}))
	stored := writer.Snapshot().Node(n.ID)
	last := must(t)(writer.DeleteNodes(ctx, []state.NodeGarbage{{ID: n.ID, ModifyIndex: stored.ModifyIndex}}))
	if _, err := writer.Client().Compact(ctx, int64(last)); err != nil {
		t.Fatal(err)
	}
	stale.start(rev)
	t.Cleanup(func() { _ = stale.Close() })
	if _, err := stale.idx.WaitIndex(ctx, last); err != nil {
		t.Fatal(err)
	}
	snap := stale.Snapshot()
	if snap.Job("default", "old") != nil || len(snap.JobVersions("default", "old")) != 0 || snap.Node(n.ID) != nil {
		t.Fatal("the reloaded index still holds collected objects")
	}
	if rows := stale.idx.Snapshot().Rows(); rows["jobs"]+rows["job_versions"]+rows["nodes"]+rows["node_usage"] != 0 {
		t.Fatalf("rows after reload: %v", rows)
	}
}
