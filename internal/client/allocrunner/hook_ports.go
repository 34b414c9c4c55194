package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/wharf-project/wharf/internal/structs"
)

// portsHook checks, before the allocation's tasks first start, that every
// host port the scheduler assigned is free on this host: a port taken by a
// process wharf does not know of fails the allocation with a clear Setup
// Failure event instead of a task that cannot bind. Ports of an allocation
// restored with running tasks are theirs, so it checks nothing then.
type portsHook struct {
	alloc   *structs.Allocation
	started func() bool
}

var _ PrerunHook = (*portsHook)(nil)

// Name names the hook.
func (*portsHook) Name() string { return "ports" }

// Prerun tries to bind each assigned port.
func (h *portsHook) Prerun(context.Context) error {
	if h.started() || h.alloc.AllocatedResources == nil {
		return nil
	}
	var errs []error
	for _, p := range assignedPorts(h.alloc.AllocatedResources) {
		ln, err := net.Listen("tcp", net.JoinHostPort(p.HostIP, strconv.Itoa(p.Value)))
		if err != nil {
			errs = append(errs, fmt.Errorf("port %q (%d on %s) is already in use on the host by a process wharf does not manage: %w",
				p.Label, p.Value, p.HostIP, err))
			continue
		}
		_ = ln.Close()
	}
	return errors.Join(errs...)
}

// assignedPorts lists the allocation's host ports once each: the shared
// mappings and the ports of task-level networks.
func assignedPorts(r *structs.AllocatedResources) []structs.PortMapping {
	seen := map[int]bool{}
	var out []structs.PortMapping
	add := func(p structs.PortMapping) {
		if p.Value > 0 && !seen[p.Value] {
			seen[p.Value] = true
			out = append(out, p)
		}
	}
	for _, p := range r.Shared.Ports {
		add(p)
	}
	for _, t := range r.Tasks {
		for _, n := range t.Networks {
			for _, p := range append(append([]structs.Port{}, n.ReservedPorts...), n.DynamicPorts...) {
				add(structs.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: n.IP})
			}
		}
	}
	return out
}
