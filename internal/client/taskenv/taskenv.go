// Package taskenv builds a task's environment the way Nomad does: the
// NOMAD_* variables that describe the allocation, its directories,
// resources, ports and meta, then the task's own env block; and it
// interpolates ${NOMAD_*}, ${attr.X}, ${meta.X} and ${node.X} in strings
// such as env values and the driver config.
//
// taskenv must never import any other wharf package except
// internal/structs.
package taskenv

import (
	"maps"
	"net"
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// Variable names and prefixes, as Nomad's.
const (
	AllocID        = "NOMAD_ALLOC_ID"
	ShortAllocID   = "NOMAD_SHORT_ALLOC_ID"
	AllocName      = "NOMAD_ALLOC_NAME"
	AllocIndex     = "NOMAD_ALLOC_INDEX"
	JobID          = "NOMAD_JOB_ID"
	JobName        = "NOMAD_JOB_NAME"
	JobParentID    = "NOMAD_JOB_PARENT_ID"
	GroupName      = "NOMAD_GROUP_NAME"
	TaskName       = "NOMAD_TASK_NAME"
	Namespace      = "NOMAD_NAMESPACE"
	Region         = "NOMAD_REGION"
	Datacenter     = "NOMAD_DC"
	AllocDir       = "NOMAD_ALLOC_DIR"
	TaskDir        = "NOMAD_TASK_DIR"
	SecretsDir     = "NOMAD_SECRETS_DIR"
	CPULimit       = "NOMAD_CPU_LIMIT"
	CPUCores       = "NOMAD_CPU_CORES"
	MemLimit       = "NOMAD_MEMORY_LIMIT"
	MemMaxLimit    = "NOMAD_MEMORY_MAX_LIMIT"
	PortPrefix     = "NOMAD_PORT_"
	HostPortPrefix = "NOMAD_HOST_PORT_"
	IPPrefix       = "NOMAD_IP_"
	AddrPrefix     = "NOMAD_ADDR_"
	HostIPPrefix   = "NOMAD_HOST_IP_"
	HostAddrPrefix = "NOMAD_HOST_ADDR_"
	MetaPrefix     = "NOMAD_META_"
)

// Input is what a task's environment is built from.
type Input struct {
	Node  *structs.Node
	Alloc *structs.Allocation
	Task  *structs.Task
	// Region is used when the job names none.
	Region string
	// AllocDir, TaskDir and SecretsDir are the host paths of the shared
	// alloc directory, the task's local directory and its secrets.
	AllocDir, TaskDir, SecretsDir string
	// HostEnv is the base layer (the agent's filtered environment).
	HostEnv map[string]string
}

// Env is a built environment.
type Env struct {
	vars   map[string]string
	node   *structs.Node
	region string
}

// Build returns the task's environment: HostEnv, then the NOMAD_*
// variables, then the task's env block (keys and values interpolated),
// each layer overriding the one before.
func Build(in Input) *Env {
	e := &Env{vars: maps.Clone(in.HostEnv), node: in.Node, region: in.Region}
	if e.vars == nil {
		e.vars = map[string]string{}
	}
	if e.node == nil {
		e.node = &structs.Node{}
	}
	e.addAlloc(in)
	e.addResources(in)
	e.addPorts(in)
	e.addMeta(in)
	if in.Task != nil {
		for k, v := range in.Task.Env {
			e.vars[e.Replace(k)] = e.Replace(v)
		}
	}
	return e
}

// Map returns a copy of the variables.
func (e *Env) Map() map[string]string { return maps.Clone(e.vars) }

// Get returns one variable.
func (e *Env) Get(name string) (string, bool) {
	v, ok := e.vars[name]
	return v, ok
}

func (e *Env) set(k, v string) {
	if v != "" {
		e.vars[k] = v
	}
}

func (e *Env) addAlloc(in Input) {
	a := in.Alloc
	if a == nil {
		return
	}
	e.set(AllocID, a.ID)
	e.set(ShortAllocID, structs.ShortID(a.ID))
	e.set(AllocName, a.Name)
	if idx := a.Index(); idx >= 0 {
		e.set(AllocIndex, strconv.Itoa(idx))
	}
	e.set(JobID, a.JobID)
	e.set(GroupName, a.TaskGroup)
	e.set(Namespace, a.Namespace)
	region := in.Region
	if a.Job != nil {
		e.set(JobName, a.Job.Name)
		e.set(JobParentID, a.Job.ParentID)
		if a.Job.Region != "" {
			region = a.Job.Region
		}
	}
	e.set(Region, region)
	e.set(Datacenter, e.node.Datacenter)
	if in.Task != nil {
		e.set(TaskName, in.Task.Name)
	}
	e.set(AllocDir, in.AllocDir)
	e.set(TaskDir, in.TaskDir)
	e.set(SecretsDir, in.SecretsDir)
}

// taskResources returns what the scheduler gave the task, if anything.
func taskResources(in Input) *structs.AllocatedTaskResources {
	if in.Alloc == nil || in.Alloc.AllocatedResources == nil || in.Task == nil {
		return nil
	}
	return in.Alloc.AllocatedResources.Tasks[in.Task.Name]
}

func (e *Env) addResources(in Input) {
	cpu, mem, memMax, cores := int64(0), int64(0), int64(0), 0
	if in.Task != nil && in.Task.Resources != nil {
		r := in.Task.Resources
		cpu, mem, memMax, cores = int64(r.CPU), int64(r.MemoryMB), int64(r.MemoryMaxMB), r.Cores
	}
	if tr := taskResources(in); tr != nil {
		cpu, mem, memMax = tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB
	}
	if cpu > 0 {
		e.set(CPULimit, strconv.FormatInt(cpu, 10))
	}
	if cores > 0 {
		e.set(CPUCores, strconv.Itoa(cores))
	}
	if mem > 0 {
		e.set(MemLimit, strconv.FormatInt(mem, 10))
	}
	if memMax > 0 {
		e.set(MemMaxLimit, strconv.FormatInt(memMax, 10))
	}
}

// addPorts sets the port variables of the group's ports, then of the
// task's own (older task-level network blocks).
func (e *Env) addPorts(in Input) {
	if in.Alloc != nil && in.Alloc.AllocatedResources != nil {
		shared := in.Alloc.AllocatedResources.Shared
		for _, pm := range shared.Ports {
			e.addPort(pm.Label, pm.HostIP, pm.Value, pm.To)
		}
		if len(shared.Ports) == 0 {
			e.addNetworks(shared.Networks)
		}
	}
	if tr := taskResources(in); tr != nil {
		e.addNetworks(tr.Networks)
	}
}

func (e *Env) addNetworks(nets []*structs.NetworkResource) {
	for _, n := range nets {
		if n == nil {
			continue
		}
		for _, p := range n.ReservedPorts {
			e.addPort(p.Label, n.IP, p.Value, p.To)
		}
		for _, p := range n.DynamicPorts {
			e.addPort(p.Label, n.IP, p.Value, p.To)
		}
	}
}

// addPort sets the variables of one port: NOMAD_PORT_ is the port the
// task binds (To when mapped, else the host port), NOMAD_HOST_PORT_ the
// host's; the addresses pair them with the host IP.
func (e *Env) addPort(label, ip string, host, to int) {
	if label == "" {
		return
	}
	l := CleanName(label)
	port := host
	if to > 0 {
		port = to
	}
	e.vars[PortPrefix+l] = strconv.Itoa(port)
	e.vars[HostPortPrefix+l] = strconv.Itoa(host)
	if ip == "" {
		return
	}
	e.vars[IPPrefix+l] = ip
	e.vars[HostIPPrefix+l] = ip
	e.vars[AddrPrefix+l] = net.JoinHostPort(ip, strconv.Itoa(port))
	e.vars[HostAddrPrefix+l] = net.JoinHostPort(ip, strconv.Itoa(host))
}

// addMeta sets NOMAD_META_<KEY> and NOMAD_META_<key> for the job's,
// group's and task's meta, the most specific winning.
func (e *Env) addMeta(in Input) {
	meta := map[string]string{}
	if a := in.Alloc; a != nil && a.Job != nil {
		maps.Copy(meta, a.Job.Meta)
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			maps.Copy(meta, tg.Meta)
		}
	}
	if in.Task != nil {
		maps.Copy(meta, in.Task.Meta)
	}
	for k, v := range meta {
		k = CleanName(k)
		e.vars[MetaPrefix+strings.ToUpper(k)] = v
		e.vars[MetaPrefix+k] = v
	}
}

// CleanName replaces every character that may not appear in an
// environment variable name with an underscore.
func CleanName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}
