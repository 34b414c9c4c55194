package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// drainMonitorWait bounds each blocking read of the node's allocations,
// so that the end of the drain (a node change) is seen within it.
const drainMonitorWait = time.Second

// drainWatch is what a drain monitor has seen so far.
type drainWatch struct {
	allocs            map[string]*structs.Allocation
	complete, stopped bool
	downSeen          bool
}

// monitorDrain follows a node's drain as Nomad's CLI does: it prints each
// allocation that is marked for migration, stopped or changes status, and
// returns once the drain is complete and no allocation (but ignored
// system ones) is pending or running on the node. Ending ctx (Ctrl-C)
// stops following, not the drain.
func (m *meta) monitorDrain(ctx context.Context, c *api.Client, nodeID string, ignoreSys, verbose bool) error {
	m.drainf("Ctrl-C to stop monitoring: will not cancel the node drain")
	w := &drainWatch{}
	var index uint64
	for !w.complete || !w.stopped {
		allocs, meta, err := c.Nodes().Allocations(nodeID, &api.QueryOptions{
			WaitIndex: index, WaitTime: drainMonitorWait, Context: ctx})
		if err == nil {
			index = meta.LastIndex
			m.drainAllocs(w, allocs, ignoreSys, verbose, nodeID)
			var node *structs.Node
			if node, _, err = c.Nodes().Info(nodeID, &api.QueryOptions{Context: ctx}); err == nil {
				m.drainNode(w, node, verbose)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return failed(fmt.Errorf("monitoring the drain of node %q: %w", shortID(nodeID, verbose), err))
		}
	}
	return nil
}

// drainAllocs prints what changed in the node's allocations.
func (m *meta) drainAllocs(w *drainWatch, allocs []*structs.Allocation, ignoreSys, verbose bool, nodeID string) {
	first := w.allocs == nil
	if first {
		w.allocs = map[string]*structs.Allocation{}
	}
	live := 0
	for _, a := range allocs {
		old := w.allocs[a.ID]
		w.allocs[a.ID] = a
		if old != nil {
			if msg := allocDrainChange(old, a); msg != "" {
				m.drainf("Alloc %q %s", shortID(a.ID, verbose), msg)
			}
		}
		if ignoreSys && a.Job != nil && a.Job.Type == "system" {
			continue
		}
		if a.ClientStatus == structs.AllocClientStatusPending || a.ClientStatus == structs.AllocClientStatusRunning {
			live++
		}
	}
	if live == 0 && !w.stopped {
		w.stopped = true
		m.drainf("All allocations on node %q have stopped", shortID(nodeID, verbose))
	}
}

// allocDrainChange describes how an allocation moved on, "" if it did not.
func allocDrainChange(old, a *structs.Allocation) string {
	marked := a.DesiredTransition.Migrate != nil && *a.DesiredTransition.Migrate
	wasMarked := old.DesiredTransition.Migrate != nil && *old.DesiredTransition.Migrate
	switch {
	case old.ClientStatus != a.ClientStatus:
		return fmt.Sprintf("status %s -> %s", old.ClientStatus, a.ClientStatus)
	case marked && !wasMarked:
		return "marked for migration"
	case marked && old.DesiredStatus != a.DesiredStatus && a.DesiredStatus == structs.AllocDesiredStatusStop:
		return "draining"
	}
	return ""
}

// drainNode prints the end of the drain and a node that went down.
func (m *meta) drainNode(w *drainWatch, n *structs.Node, verbose bool) {
	if n.Status == structs.NodeStatusDown && !w.downSeen {
		w.downSeen = true
		m.drainf("Node %q down", shortID(n.ID, verbose))
	}
	if n.DrainStrategy == nil && !w.complete {
		w.complete = true
		m.drainf("Drain complete for node %q", shortID(n.ID, verbose))
	}
}

// drainf prints one timestamped monitor line.
func (m *meta) drainf(format string, args ...any) {
	fmt.Fprintf(m.out, "%s: %s\n", m.now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}
