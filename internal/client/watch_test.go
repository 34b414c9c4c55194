package client

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// reconcileClient is a client that is not Run: the test drives reconcile.
func reconcileClient(t *testing.T, d *fake.Driver) (*Client, context.Context) {
	t.Helper()
	c, err := New(Config{Servers: []string{"127.0.0.1:1"}, DataDir: t.TempDir(), Logger: discardLogger(),
		Drivers: []drivers.Driver{d}, HostEnv: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); c.wg.Wait() })
	return c, ctx
}

// placedAlloc is a running-desired allocation of a one-task service job.
func placedAlloc(modifyIndex uint64) *structs.Allocation {
	job := testJob("j", structs.JobTypeService, 1, nil)
	job.Canonicalize()
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "j.g[0]", JobID: "j", TaskGroup: "g",
		Namespace: "default", Job: job, DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus: structs.AllocClientStatusPending, ModifyIndex: modifyIndex, AllocModifyIndex: modifyIndex}
}

func TestReconcile(t *testing.T) {
	d := fake.New()
	c, ctx := reconcileClient(t, d)
	a := placedAlloc(100)
	done := placedAlloc(100)
	done.ClientStatus = structs.AllocClientStatusComplete
	c.reconcile(ctx, []*structs.Allocation{a, done}, 100)
	if c.AllocRunner(done.ID) != nil {
		t.Fatal("a runner was made for a terminal allocation")
	}
	waitFor(t, "task started", func() bool { return len(d.Tasks()) == 1 })

	c.reconcile(ctx, []*structs.Allocation{a}, 100) // nothing changed
	if ar := c.AllocRunner(a.ID); ar == nil || ar.IsDead() {
		t.Fatal("an unchanged allocation was disturbed")
	}

	c.reconcile(ctx, nil, 50) // a server behind what the client saw
	c.mu.Lock()
	destroying := c.destroying[a.ID]
	c.mu.Unlock()
	if destroying || c.AllocRunner(a.ID) == nil || len(d.Tasks()) != 1 {
		t.Fatal("a lagging server's answer destroyed the allocation")
	}

	c.reconcile(ctx, nil, 200) // the servers forgot the allocation
	waitFor(t, "runner destroyed", func() bool { return c.AllocRunner(a.ID) == nil })
	if len(d.Tasks()) != 0 {
		t.Fatalf("tasks of a forgotten allocation still run: %v", d.Tasks())
	}
	if allocs, _ := c.db.Allocs(); len(allocs) != 0 {
		t.Fatal("state of a forgotten allocation kept")
	}
}

func TestReconcileStopThenDestroy(t *testing.T) {
	d := fake.New()
	c, ctx := reconcileClient(t, d)
	a := placedAlloc(100)
	c.reconcile(ctx, []*structs.Allocation{a}, 100)
	waitFor(t, "task started", func() bool { return len(d.Tasks()) == 1 })
	stopped := a.Copy()
	stopped.DesiredStatus, stopped.AllocModifyIndex, stopped.ModifyIndex = structs.AllocDesiredStatusStop, 110, 110
	c.reconcile(ctx, []*structs.Allocation{stopped}, 110)
	ar := c.AllocRunner(a.ID)
	waitFor(t, "tasks dead", func() bool { return ar.IsDead() })
	c.reconcile(ctx, []*structs.Allocation{stopped}, 120)
	waitFor(t, "runner destroyed", func() bool { return ar.IsDestroyed() })
	if c.AllocRunner(a.ID) == nil {
		t.Fatal("the runner of a listed allocation was dropped")
	}
}
