package cli

import (
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// IDs used across the tests.
const (
	evalID    = "5d8a5e9b-0000-4000-8000-000000000001"
	blockedID = "e53a3fb5-0000-4000-8000-000000000002"
	allocID   = "8ba85cef-0000-4000-8000-000000000003"
	allocID2  = "8ba85cf0-0000-4000-8000-000000000004"
	nodeID    = "171a583b-0000-4000-8000-000000000005"
)

// seedJob is the walk-through's job, as the parser returns it.
func seedJob() *structs.Job {
	return &structs.Job{
		ID: "nginx-minipot", Name: "nginx-minipot", Namespace: "default", Type: "service",
		Priority: 50, Datacenters: []string{"minipot"}, Status: "running", SubmitTime: nanos(time.Hour),
		TaskGroups: []*structs.TaskGroup{{
			Name: "group1", Count: 1,
			Tasks: []*structs.Task{{Name: "www1", Driver: "pot",
				Resources: &structs.Resources{CPU: 200, MemoryMB: 64}}},
		}},
	}
}

// seedResources is what the scheduler gave the seed job's allocation.
func seedResources() *structs.AllocatedResources {
	return &structs.AllocatedResources{
		Tasks: map[string]*structs.AllocatedTaskResources{"www1": {
			Cpu: structs.AllocatedCpuResources{CpuShares: 200}, Memory: structs.AllocatedMemoryResources{MemoryMB: 64},
		}},
		Shared: structs.AllocatedSharedResources{
			Networks: []*structs.NetworkResource{{Mode: "bridge", IP: "10.0.0.5",
				DynamicPorts: []structs.Port{{Label: "http", Value: 22854, To: 80}}}},
			Ports: []structs.PortMapping{{Label: "http", Value: 22854, To: 80, HostIP: "10.0.0.5"}},
		},
	}
}

// seedAlloc is the running allocation of the seed job.
func seedAlloc() *structs.Allocation {
	return &structs.Allocation{
		ID: allocID, EvalID: evalID, Name: "nginx-minipot.group1[0]", Namespace: "default",
		NodeID: nodeID, NodeName: "minipot", JobID: "nginx-minipot", TaskGroup: "group1",
		AllocatedResources: seedResources(),
		DesiredStatus:      "run", ClientStatus: "running", ClientDescription: "Tasks are running",
		CreateIndex: 110, ModifyIndex: 120, CreateTime: nanos(5 * time.Minute), ModifyTime: nanos(4 * time.Minute),
		TaskStates: map[string]*structs.TaskState{"www1": {State: "running", Events: []*structs.TaskEvent{
			{Type: structs.TaskReceived, Time: nanos(5 * time.Minute)},
			{Type: structs.TaskDriverFailure, Time: nanos(290 * time.Second),
				DriverError: "pot: fetch https://potluck.honeyguide.net/nginx-nomad/nginx-nomad-amd64-13_1_1.1.13.xz: 404 Not Found"},
			{Type: structs.TaskRestarting, Time: nanos(280 * time.Second), StartDelay: int64(15 * time.Second)},
			{Type: structs.TaskTerminated, Time: nanos(270 * time.Second), ExitCode: 137, Signal: 9},
			{Type: structs.TaskStarted, Time: nanos(260 * time.Second)},
		}}},
	}
}

// seedNode is the one client of the walk-through.
func seedNode() *structs.Node {
	return &structs.Node{
		ID: nodeID, Name: "minipot", Datacenter: "minipot", Status: "ready",
		SchedulingEligibility: "eligible", HTTPAddr: "10.0.0.5:4646",
		Attributes: map[string]string{"unique.network.ip-address": "10.0.0.5"},
		NodeResources: &structs.NodeResources{
			Cpu: structs.NodeCpuResources{CpuShares: 4000}, Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk: structs.NodeDiskResources{DiskMB: 100000},
		},
		ReservedResources: &structs.NodeReservedResources{Memory: structs.NodeReservedMemoryResources{MemoryMB: 192}},
		Drivers: map[string]*structs.DriverInfo{
			"pot":      {Detected: false, Healthy: false, HealthDescription: "pot binary not found in $PATH"},
			"raw_exec": {Detected: true, Healthy: true, HealthDescription: "Healthy"},
		},
	}
}

// missingDriverMetric is the metric of a group no node can run.
func missingDriverMetric() *structs.AllocMetric {
	return &structs.AllocMetric{
		NodesEvaluated: 3, NodesFiltered: 3, NodesAvailable: map[string]int{"minipot": 3},
		ConstraintFiltered: map[string]int{"missing drivers": 3},
	}
}

// exhaustedMetric is the metric of a group that does not fit anywhere.
func exhaustedMetric() *structs.AllocMetric {
	return &structs.AllocMetric{
		NodesEvaluated: 3, NodesExhausted: 3, NodesAvailable: map[string]int{"minipot": 3},
		DimensionExhausted: map[string]int{"memory": 3}, CoalescedFailures: 1,
	}
}

func evalWith(status string, mutate func(e *structs.Evaluation)) *structs.Evaluation {
	e := &structs.Evaluation{ID: evalID, JobID: "nginx-minipot", Namespace: "default", Type: "service",
		TriggeredBy: "job-register", Priority: 50, Status: status, CreateIndex: 105,
		CreateTime: nanos(time.Minute), ModifyTime: nanos(time.Minute)}
	if mutate != nil {
		mutate(e)
	}
	return e
}
