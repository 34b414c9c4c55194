package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/client/taskrunner"
	"github.com/wharf-project/wharf/internal/structs"
)

// StatsWindow is how far apart the node reads a task's use twice to
// compute its CPU share; every stats request takes about this long.
const StatsWindow = 100 * time.Millisecond

// memoryMeasures are the Measured names that belong to MemoryStats; every
// other name a driver reports belongs to CpuStats.
var memoryMeasures = []string{"RSS", "Cache", "Swap", "Usage", "Max Usage", "Kernel Usage", "Kernel Max Usage"}

// statsRoutes registers the allocation stats endpoint.
func (c *Client) statsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/client/allocation/{alloc}/stats", c.serveStats)
}

// serveStats answers the resource use of an allocation's running tasks in
// the shape of Nomad's AllocResourceUsage. Tasks that do not run are left
// out; a task whose use cannot be read fails the request only when no
// task could be read.
func (c *Client) serveStats(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("alloc")
	ar := c.AllocRunner(id)
	if ar == nil || ar.IsDestroyed() {
		http.Error(w, "unknown allocation "+id+" on this node", http.StatusNotFound)
		return
	}
	usage, err := allocUsage(r.Context(), ar.Tasks(), mhzPerCore(c.Node()))
	switch {
	case errors.Is(err, taskrunner.ErrStatsNotSupported):
		http.Error(w, err.Error(), http.StatusNotImplemented)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(usage)
}

// mhzPerCore is the speed of one of the node's cores (0 when unknown).
func mhzPerCore(n *structs.Node) float64 {
	if n == nil || n.NodeResources == nil || n.NodeResources.Cpu.TotalCpuCores == 0 {
		return 0
	}
	cpu := n.NodeResources.Cpu
	return float64(cpu.CpuShares) / float64(cpu.TotalCpuCores)
}

// allocUsage samples every running task at once and sums them.
func allocUsage(ctx context.Context, tasks []*taskrunner.TaskRunner, mhz float64) (*api.AllocResourceUsage, error) {
	usages := make([]*taskrunner.TaskUsage, len(tasks))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, tr := range tasks {
		wg.Go(func() { usages[i], errs[i] = tr.Usage(ctx, StatsWindow) })
	}
	wg.Wait()
	out := &api.AllocResourceUsage{Tasks: map[string]*api.TaskResourceUsage{}, ResourceUsage: emptyUsage()}
	var firstErr error
	for i, tr := range tasks {
		switch {
		case errs[i] == nil:
			tu := taskResourceUsage(usages[i], mhz)
			out.Tasks[tr.TaskName()] = tu
			addUsage(out.ResourceUsage, tu.ResourceUsage)
			out.Timestamp = max(out.Timestamp, tu.Timestamp)
		case !errors.Is(errs[i], taskrunner.ErrTaskNotRunning) && firstErr == nil:
			firstErr = errs[i]
		}
	}
	if len(out.Tasks) == 0 && firstErr != nil {
		return nil, firstErr
	}
	if out.Timestamp == 0 {
		out.Timestamp = time.Now().UnixNano()
	}
	return out, nil
}

// emptyUsage is a ResourceUsage with zero memory and CPU.
func emptyUsage() *api.ResourceUsage {
	return &api.ResourceUsage{MemoryStats: &api.MemoryStats{Measured: []string{}},
		CpuStats: &api.CpuStats{Measured: []string{}}, DeviceStats: []*api.DeviceGroupStats{}}
}

// taskResourceUsage converts a task's sampled use; TotalTicks is its CPU
// share in MHz of the node's cores.
func taskResourceUsage(u *taskrunner.TaskUsage, mhz float64) *api.TaskResourceUsage {
	s := u.Stats
	ru := emptyUsage()
	ru.MemoryStats.RSS, ru.MemoryStats.Usage, ru.MemoryStats.MaxUsage = s.MemoryRSS, s.MemoryUsage, s.MemoryMaxUsage
	for _, m := range s.Measured {
		if slices.Contains(memoryMeasures, m) {
			ru.MemoryStats.Measured = append(ru.MemoryStats.Measured, m)
		} else {
			ru.CpuStats.Measured = append(ru.CpuStats.Measured, m)
		}
	}
	ru.CpuStats.Measured = append(ru.CpuStats.Measured, "Percent")
	ru.CpuStats.Percent, ru.CpuStats.UserMode, ru.CpuStats.SystemMode = u.CPUPercent, u.UserPercent, u.SystemPercent
	ru.CpuStats.TotalTicks = u.CPUPercent / 100 * mhz
	return &api.TaskResourceUsage{ResourceUsage: ru, Timestamp: s.Timestamp.UnixNano()}
}

// addUsage adds one task's use to the allocation's sum.
func addUsage(sum, u *api.ResourceUsage) {
	m, tm := sum.MemoryStats, u.MemoryStats
	m.RSS += tm.RSS
	m.Usage += tm.Usage
	m.MaxUsage += tm.MaxUsage
	m.Measured = union(m.Measured, tm.Measured)
	c, tc := sum.CpuStats, u.CpuStats
	c.Percent += tc.Percent
	c.UserMode += tc.UserMode
	c.SystemMode += tc.SystemMode
	c.TotalTicks += tc.TotalTicks
	c.Measured = union(c.Measured, tc.Measured)
}

// union appends the names of add not in list.
func union(list, add []string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
