package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// IDPrefix starts the ID of every registration of a task's service.
const IDPrefix = "_wharf-task-"

// Workload is a running task whose services (and the group services it
// owns) the manager registers.
type Workload struct {
	Alloc *structs.Allocation
	Task  *structs.Task
	Node  *structs.Node
	// TaskID is the driver's ID of the task: "<allocID>/<task>".
	TaskID string
	// Driver runs the task: script checks exec through it (drivers.Execer)
	// and address_mode "driver" asks it for the task's address
	// (drivers.Networker).
	Driver drivers.Driver
	// Interpolate replaces ${...} references in service names, tags and
	// meta; nil leaves them as they are.
	Interpolate func(string) string
	// Target receives the task events of the checks and their restarts;
	// nil drops them.
	Target Target
}

// Target is the task a workload's checks report to and restart.
type Target interface {
	// EmitEvent records a task event.
	EmitEvent(e *structs.TaskEvent)
	// RestartUnhealthy restarts the running task, recording e.
	RestartUnhealthy(e *structs.TaskEvent) error
}

// Key identifies a workload: "<allocID>/<task>".
func (w *Workload) Key() string { return w.Alloc.ID + "/" + w.Task.Name }

// group returns the workload's task group, or nil.
func (w *Workload) group() *structs.TaskGroup {
	if w.Alloc.Job == nil {
		return nil
	}
	return w.Alloc.Job.LookupTaskGroup(w.Alloc.TaskGroup)
}

func (w *Workload) interp(s string) string {
	if w.Interpolate == nil {
		return s
	}
	return w.Interpolate(s)
}

// ownedService is a service a workload registers; group is set for a
// group-level service.
type ownedService struct {
	svc   *structs.Service
	group bool
}

// ownedServices returns the task's services and the group services the
// task owns.
func ownedServices(w *Workload) []ownedService {
	var out []ownedService
	for _, s := range w.Task.Services {
		if s != nil {
			out = append(out, ownedService{svc: s})
		}
	}
	tg := w.group()
	if tg == nil {
		return out
	}
	for _, s := range tg.Services {
		if s != nil && GroupServiceOwner(tg, s) == w.Task.Name {
			out = append(out, ownedService{svc: s, group: true})
		}
	}
	return out
}

// GroupServiceOwner returns the task that registers group service s: the
// task s names, else the task of its first script check, else the
// group's leader, else its first task.
func GroupServiceOwner(tg *structs.TaskGroup, s *structs.Service) string {
	if s.TaskName != "" && tg.LookupTask(s.TaskName) != nil {
		return s.TaskName
	}
	for _, c := range s.Checks {
		if c != nil && c.TaskName != "" && tg.LookupTask(c.TaskName) != nil {
			return c.TaskName
		}
	}
	for _, t := range tg.Tasks {
		if t.Leader {
			return t.Name
		}
	}
	if len(tg.Tasks) > 0 {
		return tg.Tasks[0].Name
	}
	return ""
}

// RegistrationID is the catalog ID of a task service's instance; task is
// "group-<group>" for a group service.
func RegistrationID(allocID, task, service, portLabel string) string {
	return IDPrefix + allocID + "-" + task + "-" + service + "-" + portLabel
}

// ownerName is the task part of a registration's ID.
func ownerName(w *Workload, o ownedService) string {
	if o.group {
		return "group-" + w.Alloc.TaskGroup
	}
	return w.Task.Name
}

// workloadIDs returns the IDs of every registration w makes, without
// resolving addresses (for deregistration).
func workloadIDs(w *Workload) []string {
	var ids []string
	for _, o := range ownedServices(w) {
		ids = append(ids, RegistrationID(w.Alloc.ID, ownerName(w, o), w.interp(o.svc.Name), o.svc.PortLabel))
	}
	return ids
}

// errPortLabel is wrapped by the errors of a port label the allocation
// lacks.
var errPortLabel = errors.New("port label not found in the allocation")

// buildRegistration returns the registration of one owned service, its
// checks at their initial status.
func buildRegistration(ctx context.Context, w *Workload, o ownedService) (*structs.ServiceRegistration, []*checkSpec, error) {
	s := o.svc
	name := w.interp(s.Name)
	addr, port, err := resolveAddress(ctx, w, s.PortLabel, s.AddressMode, s.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("service %q: %w", name, err)
	}
	// The servers refuse an instance at an address the allocation does
	// not own (and would refuse the whole batch with it): skip it here
	// with the reason.
	if err := structs.TaskAddressError(w.Node, w.Alloc, addr, port); err != nil {
		return nil, nil, fmt.Errorf("service %q: address: %w", name, err)
	}
	reg := &structs.ServiceRegistration{
		ID: RegistrationID(w.Alloc.ID, ownerName(w, o), name, s.PortLabel), ServiceName: name,
		Namespace: namespace(w.Alloc), NodeID: w.Node.ID, Datacenter: w.Node.Datacenter,
		JobID: w.Alloc.JobID, AllocID: w.Alloc.ID, Address: addr, Port: port,
		Tags: interpAll(w, s.Tags), Meta: interpMap(w, s.Meta),
	}
	if !o.group {
		reg.Task = w.Task.Name
	}
	specs, err := buildChecks(ctx, w, s, addr, port)
	if err != nil {
		return nil, nil, fmt.Errorf("service %q: %w", name, err)
	}
	for _, c := range specs {
		reg.Checks = append(reg.Checks, c.initialStatus())
	}
	return reg, specs, nil
}

func namespace(a *structs.Allocation) string {
	if a.Namespace != "" {
		return a.Namespace
	}
	if a.Job != nil && a.Job.Namespace != "" {
		return a.Job.Namespace
	}
	return structs.DefaultNamespace
}

func interpAll(w *Workload, in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, w.interp(s))
	}
	return out
}

func interpMap(w *Workload, in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = w.interp(v)
	}
	return out
}

// resolveAddress returns the address and port of a service or check: by
// default the node's address (or the port's host IP) and the host port of
// label; with mode "driver" or "alloc" the task's own address and the
// port it listens on. explicit, when set, replaces the host address.
func resolveAddress(ctx context.Context, w *Workload, label, mode, explicit string) (string, int, error) {
	mapping := findPort(w.Alloc, label)
	if mode == "driver" || mode == "alloc" {
		return driverAddress(ctx, w, label, mapping)
	}
	port := 0
	if label != "" {
		if mapping == nil {
			return "", 0, fmt.Errorf("port %q: %w", label, errPortLabel)
		}
		port = mapping.Value
	}
	addr := NodeAddress(w.Node)
	if mapping != nil && mapping.HostIP != "" && !unspecified(mapping.HostIP) {
		addr = mapping.HostIP
	}
	if explicit != "" {
		addr = w.interp(explicit)
	}
	return addr, port, nil
}

// driverAddress asks the driver for the task's address; the port is a
// numeric label, the driver's mapping of the label, else its "to".
func driverAddress(ctx context.Context, w *Workload, label string, mapping *structs.PortMapping) (string, int, error) {
	nw, ok := w.Driver.(drivers.Networker)
	if !ok {
		return "", 0, fmt.Errorf("address_mode \"driver\": driver %s does not give tasks an address of their own", driverName(w.Driver))
	}
	tn, err := nw.TaskNetwork(ctx, w.TaskID)
	if err != nil {
		return "", 0, fmt.Errorf("address of task %s: %w", w.TaskID, err)
	}
	if tn.IP == "" {
		// The task shares the host's network: its ports are the host's.
		return resolveAddress(ctx, w, label, "host", "")
	}
	if label == "" {
		return tn.IP, 0, nil
	}
	if n, err := strconv.Atoi(label); err == nil {
		return tn.IP, n, nil
	}
	if p, ok := tn.PortMap[label]; ok {
		return tn.IP, p, nil
	}
	switch {
	case mapping == nil:
		return "", 0, fmt.Errorf("port %q: %w", label, errPortLabel)
	case mapping.To > 0:
		return tn.IP, mapping.To, nil
	}
	return tn.IP, mapping.Value, nil
}

func driverName(d drivers.Driver) string {
	if d == nil {
		return "(none)"
	}
	return d.Name()
}

// findPort returns the allocation's mapping of label: its shared ports,
// then its tasks' networks.
func findPort(a *structs.Allocation, label string) *structs.PortMapping {
	if label == "" || a.AllocatedResources == nil {
		return nil
	}
	for _, p := range a.AllocatedResources.Shared.Ports {
		if p.Label == label {
			return &p
		}
	}
	for _, tr := range a.AllocatedResources.Tasks {
		if tr == nil {
			continue
		}
		for _, n := range tr.Networks {
			if m := findInNetwork(n, label); m != nil {
				return m
			}
		}
	}
	return nil
}

func findInNetwork(n *structs.NetworkResource, label string) *structs.PortMapping {
	if n == nil {
		return nil
	}
	for _, ports := range [][]structs.Port{n.ReservedPorts, n.DynamicPorts} {
		for _, p := range ports {
			if p.Label == label {
				return &structs.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: n.IP}
			}
		}
	}
	return nil
}

// NodeAddress is the address a node's services advertise by default: its
// fingerprinted unique.network.ip-address, else the host of its HTTP
// address, else 127.0.0.1.
func NodeAddress(n *structs.Node) string {
	if n == nil {
		return "127.0.0.1"
	}
	if ip := n.Attributes["unique.network.ip-address"]; ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(n.HTTPAddr); err == nil && host != "" && !unspecified(host) {
		return host
	}
	return "127.0.0.1"
}

func unspecified(ip string) bool {
	p := net.ParseIP(ip)
	return p != nil && p.IsUnspecified()
}
