package taskrunner

import (
	"context"
	"reflect"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestTaskConfigHook(t *testing.T) {
	h := newHarness(t, "service", map[string]any{"command": "nginx", "args": []any{"-p", "${NOMAD_PORT_http}"}})
	req := h.tr.newStartRequest()
	if err := (taskConfigHook{}).Prestart(context.Background(), req); err == nil {
		t.Fatal("task config hook ran without an environment")
	}
	if err := (envHook{}).Prestart(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if err := (taskConfigHook{}).Prestart(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	c := req.Config
	if c.ID != h.alloc.ID+"/web" || c.AllocID != h.alloc.ID || c.JobID != "job1" || c.TaskGroupName != "g" || c.TaskName != "web" {
		t.Errorf("identity: %+v", c)
	}
	if want := []any{"-p", "80"}; !reflect.DeepEqual(c.Config["args"], want) {
		t.Errorf("args = %#v, want %#v", c.Config["args"], want)
	}
	if c.CPUShares != 100 || c.MemoryMB != 64 {
		t.Errorf("resources: cpu %d mem %d", c.CPUShares, c.MemoryMB)
	}
	if c.AllocDir != h.dir.Dir || c.TaskDir != h.dir.TaskDir("web").Dir {
		t.Errorf("dirs: %s %s", c.AllocDir, c.TaskDir)
	}
	if len(c.Ports) != 1 || c.Ports[0].Value != 21000 {
		t.Errorf("ports: %+v", c.Ports)
	}
	if h.alloc.Job.TaskGroups[0].Tasks[0].Config["args"].([]any)[1] != "${NOMAD_PORT_http}" {
		t.Error("the job's task config was changed")
	}
}

func TestTaskLimits(t *testing.T) {
	task := &structs.Task{Name: "web", Resources: &structs.Resources{CPU: 300, MemoryMB: 100, MemoryMaxMB: 200}}
	tests := []struct {
		name          string
		alloc         *structs.Allocation
		cpu, mem, max int64
	}{
		{"reserved", &structs.Allocation{AllocatedResources: &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
			"web": {Cpu: structs.AllocatedCpuResources{CpuShares: 500}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128}}}}}, 500, 128, 0},
		{"asked", &structs.Allocation{}, 300, 100, 200},
	}
	for _, tt := range tests {
		cpu, mem, max := taskLimits(tt.alloc, task)
		if cpu != tt.cpu || mem != tt.mem || max != tt.max {
			t.Errorf("%s: got %d %d %d", tt.name, cpu, mem, max)
		}
	}
}
