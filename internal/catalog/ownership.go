package catalog

import (
	"strings"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Owner returns the node that owns registration reg: the node it names,
// when that node is registered with the servers (a client that runs the
// task, or the agent of an agent-API registration). A registration whose
// node is not known has no owner ("").
func Owner(snap state.Snapshot, reg *structs.ServiceRegistration) string {
	if reg == nil || reg.NodeID == "" || snap.Node(reg.NodeID) == nil {
		return ""
	}
	return reg.NodeID
}

// UsedByTasks reports whether service name of namespace ns belongs to
// tasks: an instance of it registered for an allocation that exists, by
// the node that runs it (other than exceptNode), or a job of ns that
// declares it. Joining such a service from outside would put foreign
// addresses in the tasks' pool.
func UsedByTasks(snap state.Snapshot, ns, name, exceptNode string) bool {
	for _, reg := range snap.ServiceRegistrationsByName(ns, name) {
		if reg.AllocID == "" || reg.NodeID == exceptNode || Owner(snap, reg) == "" {
			continue
		}
		if a := snap.Alloc(reg.AllocID); a != nil && a.NodeID == reg.NodeID {
			return true
		}
	}
	for _, job := range snap.Jobs(ns) {
		if jobDeclares(job, name) {
			return true
		}
	}
	return false
}

// jobDeclares reports whether job has a group or task service called
// name (names with interpolations are compared as written).
func jobDeclares(job *structs.Job, name string) bool {
	match := func(svcs []*structs.Service) bool {
		for _, s := range svcs {
			if s != nil && strings.EqualFold(s.Name, name) {
				return true
			}
		}
		return false
	}
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		if match(tg.Services) {
			return true
		}
		for _, t := range tg.Tasks {
			if t != nil && match(t.Services) {
				return true
			}
		}
	}
	return false
}

// AllocMayRegister reports whether reg is an instance that allocation a
// itself may register: in a's namespace and job, under a service name a's
// job declares (a job whose service names hold interpolations may
// register any name, as they cannot be compared before the client
// interpolates them).
func AllocMayRegister(snap state.Snapshot, a *structs.Allocation, reg *structs.ServiceRegistration) bool {
	if reg.Namespace != a.Namespace || (reg.JobID != "" && reg.JobID != a.JobID) {
		return false
	}
	job := snap.JobVersion(a.Namespace, a.JobID, a.JobVersion)
	if job == nil {
		job = snap.Job(a.Namespace, a.JobID)
	}
	if job == nil {
		return false
	}
	return jobDeclares(job, reg.ServiceName) || jobInterpolatesNames(job)
}

// jobInterpolatesNames reports whether a service name of job holds an
// interpolation.
func jobInterpolatesNames(job *structs.Job) bool {
	has := func(svcs []*structs.Service) bool {
		for _, s := range svcs {
			if s != nil && strings.Contains(s.Name, "${") {
				return true
			}
		}
		return false
	}
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		if has(tg.Services) {
			return true
		}
		for _, t := range tg.Tasks {
			if t != nil && has(t.Services) {
				return true
			}
		}
	}
	return false
}
