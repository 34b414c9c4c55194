package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// Example shows the state.Store contract on the in-memory store, which
// etcdstore implements the same way (both pass state/statetest): writes
// return the store index they committed at, a Snapshot is a consistent
// read view, and WaitForChange is what blocking queries wait on.
func Example() {
	ctx := context.Background()
	var s state.Store = memstore.New()

	node := &structs.Node{ID: "node-1", Name: "n1", Datacenter: "dc1", Status: structs.NodeStatusReady}
	if _, err := s.UpsertNode(ctx, node); err != nil {
		fmt.Println(err)
		return
	}
	before := s.Snapshot()

	// A blocking query: wait for the jobs table to pass the current index.
	woke := make(chan uint64)
	go func() {
		idx, _ := s.WaitForChange(ctx, before.Index(), state.TableJobs)
		woke <- idx
	}()

	job := &structs.Job{ID: "web", Name: "web", Namespace: "default", Type: structs.JobTypeService}
	eval := &structs.Evaluation{ID: "eval-1", Namespace: "default", JobID: "web",
		Status: structs.EvalStatusPending, TriggeredBy: structs.EvalTriggerJobRegister}
	idx, err := s.RegisterJob(ctx, job, []*structs.Evaluation{eval}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	select {
	case got := <-woke:
		fmt.Println("waiter woke at the write's index:", got == idx)
	case <-time.After(5 * time.Second):
		fmt.Println("waiter did not wake")
	}

	// Registering again with a stale enforce index is refused.
	stale := uint64(0)
	_, err = s.RegisterJob(ctx, job, nil, &stale)
	fmt.Println("stale write refused:", errors.Is(err, state.ErrConflict))

	after := s.Snapshot()
	fmt.Println("old snapshot sees the job:", before.Job("default", "web") != nil)
	fmt.Println("new snapshot job version:", after.Job("default", "web").Version)
	fmt.Println("evaluations of the job:", len(after.EvalsByJob("default", "web")))
	// Output:
	// waiter woke at the write's index: true
	// stale write refused: true
	// old snapshot sees the job: false
	// new snapshot job version: 0
	// evaluations of the job: 1
}
