package api

import "context"

// AllocResourceUsage is the resource use of an allocation's running
// tasks, as Nomad's GET /v1/client/allocation/:id/stats answers it:
// ResourceUsage sums the tasks, Tasks is keyed by task name, Timestamp is
// in Unix nanoseconds.
type AllocResourceUsage struct {
	ResourceUsage *ResourceUsage
	Tasks         map[string]*TaskResourceUsage
	Timestamp     int64
}

// TaskResourceUsage is one task's use. Pids is per process in Nomad; wharf
// measures tasks as a whole and leaves it empty.
type TaskResourceUsage struct {
	ResourceUsage *ResourceUsage
	Timestamp     int64
	Pids          map[string]*ResourceUsage
}

// ResourceUsage is memory and CPU use (DeviceStats is always empty:
// wharf schedules no devices).
type ResourceUsage struct {
	MemoryStats *MemoryStats
	CpuStats    *CpuStats
	DeviceStats []*DeviceGroupStats
}

// MemoryStats is memory use in bytes; Measured lists the fields that were
// measured ("RSS", "Usage", "Max Usage"...), the others are zero.
type MemoryStats struct {
	RSS            uint64
	Cache          uint64
	Swap           uint64
	Usage          uint64
	MaxUsage       uint64
	KernelUsage    uint64
	KernelMaxUsage uint64
	Measured       []string
}

// CpuStats is CPU use over the last sampling window: Percent of one core
// (above 100 on several), SystemMode and UserMode its split (percents
// too), TotalTicks the same use in MHz of the node's CPU, comparable with
// the task's reserved cpu.
type CpuStats struct {
	SystemMode       float64
	UserMode         float64
	TotalTicks       float64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	Percent          float64
	Measured         []string
}

// DeviceGroupStats names a group of devices (never filled by wharf).
type DeviceGroupStats struct {
	Vendor string
	Type   string
	Name   string
}

// Stats returns the resource use of the allocation's running tasks (GET
// /v1/client/allocation/:id/stats). Servers proxy the request to the node
// running the allocation; the node samples each task twice, about 100 ms
// apart, to compute its CPU share.
func (a *Allocations) Stats(allocID string, q *QueryOptions) (*AllocResourceUsage, error) {
	var out AllocResourceUsage
	if _, err := a.c.query("/v1/client/allocation/"+escape(allocID)+"/stats", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllocStats is Allocations().Stats bound to ctx.
func (c *Client) AllocStats(ctx context.Context, allocID string) (*AllocResourceUsage, error) {
	return c.WithContext(ctx).Allocations().Stats(allocID, nil)
}
