package statetest

import (
	"fmt"

	"github.com/wharf-project/wharf/internal/structs"
)

// NewJob returns a service job in the default namespace with one group
// "web" of count 1 running one raw_exec task "app".
func NewJob(id string) *structs.Job {
	return &structs.Job{
		Namespace: "default", ID: id, Name: id, Type: structs.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: 1,
			Tasks: []*structs.Task{{
				Name: "app", Driver: "raw_exec",
				Config:    map[string]any{"command": "/bin/sleep", "args": []any{"1000"}},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 128},
			}},
		}},
		Meta: map[string]string{"owner": "statetest"},
	}
}

// NewNode returns a ready node.
func NewNode(name string) *structs.Node {
	return &structs.Node{
		ID: structs.GenerateUUID(), Name: name, Datacenter: "dc1",
		Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeSchedulingEligible,
		Attributes: map[string]string{"kernel.name": "linux", "unique.network.ip-address": "127.0.0.1"},
		NodeResources: &structs.NodeResources{
			Cpu: structs.NodeCpuResources{CpuShares: 4000}, Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk: structs.NodeDiskResources{DiskMB: 100000},
		},
	}
}

// NewEval returns a pending evaluation of job.
func NewEval(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID, Priority: job.Priority,
		Type: job.Type, TriggeredBy: structs.EvalTriggerJobRegister, Status: structs.EvalStatusPending,
	}
}

// NewAlloc returns a pending allocation of job's first group on node,
// created by eval, with its Job set (stores must not keep it).
func NewAlloc(job *structs.Job, node *structs.Node, evalID string, i int) *structs.Allocation {
	return &structs.Allocation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, EvalID: evalID,
		Name: structs.AllocName(job.ID, "web", i), NodeID: node.ID, NodeName: node.Name,
		JobID: job.ID, JobVersion: job.Version, Job: job, TaskGroup: "web",
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"app": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 100}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128},
			}},
			Shared: structs.AllocatedSharedResources{DiskMB: 300,
				Ports: []structs.PortMapping{{Label: "http", Value: 20000 + i, To: 80, HostIP: "127.0.0.1"}}},
		},
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
	}
}

// nodeNames returns n node names.
func nodeNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("node-%03d", i)
	}
	return out
}
