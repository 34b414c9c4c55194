package client

import (
	"context"
	"sort"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// reconcileTimeout bounds the drivers' start-up cleanup.
const reconcileTimeout = time.Minute

// restore starts a runner for every allocation an earlier agent
// persisted; their task runners re-attach to tasks that kept running.
// Before that, drivers holding node-wide resources release what belongs
// to none of those tasks (a crashed agent's leftovers). It runs before
// the node talks to any server.
func (c *Client) restore(ctx context.Context) {
	allocs, err := c.db.Allocs()
	if err != nil {
		c.log.Error("some stored allocations could not be read", "err", err)
	}
	c.reconcileDrivers(ctx, allocs)
	for _, a := range allocs {
		ar, err := c.newRunner(a)
		if err != nil {
			c.log.Error("stored allocation not restored; forgetting it", "alloc_id", a.ID, "err", err)
			_ = c.db.DeleteAlloc(a.ID)
			continue
		}
		if err := ar.Restore(); err != nil {
			c.log.Error("restore allocation", "alloc_id", a.ID, "err", err)
		}
		c.log.Info("restored allocation", "alloc_id", a.ID, "name", a.Name)
		c.startRunner(ctx, ar)
	}
}

// reconcileDrivers lets every driver that implements drivers.Reconciler
// release what belongs to no task of the stored allocations.
func (c *Client) reconcileDrivers(ctx context.Context, allocs []*structs.Allocation) {
	live := liveTaskIDs(allocs)
	names := make([]string, 0, len(c.drivers))
	for name := range c.drivers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r, ok := c.drivers[name].(drivers.Reconciler)
		if !ok {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
		removed, err := r.Reconcile(rctx, live)
		cancel()
		for _, what := range removed {
			c.log.Info("removed a leftover of an earlier agent", "driver", name, "what", what)
		}
		if err != nil {
			c.log.Error("driver start-up cleanup", "driver", name, "err", err)
		}
	}
}

// liveTaskIDs are the IDs ("<allocID>/<task>") of every task of allocs.
func liveTaskIDs(allocs []*structs.Allocation) map[string]bool {
	live := map[string]bool{}
	for _, a := range allocs {
		if a.Job == nil {
			continue
		}
		for _, tg := range a.Job.TaskGroups {
			if tg.Name != a.TaskGroup {
				continue
			}
			for _, t := range tg.Tasks {
				live[a.ID+"/"+t.Name] = true
			}
		}
	}
	return live
}
