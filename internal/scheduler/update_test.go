package scheduler

import (
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestCompareGroups(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*structs.Job)
		want   groupChange
	}{
		{"nothing", func(j *structs.Job) {}, changeInPlace},
		{"count", func(j *structs.Job) { j.TaskGroups[0].Count = 9 }, changeInPlace},
		{"job meta", func(j *structs.Job) { j.Meta = map[string]string{"x": "y"} }, changeInPlace},
		{"update strategy", func(j *structs.Job) { j.TaskGroups[0].Update = &structs.UpdateStrategy{MaxParallel: 3} }, changeInPlace},
		{"reschedule policy", func(j *structs.Job) {
			j.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 4}
		}, changeInPlace},
		{"check interval", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Services = []*structs.Service{{Name: "s", Checks: []*structs.ServiceCheck{{Interval: time.Second}}}}
		}, changeInPlace},
		{"spread", func(j *structs.Job) { j.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}"}} }, changeInPlace},
		{"datacenters", func(j *structs.Job) { j.Datacenters = []string{"dc1", "dc2"} }, changePlacement},
		{"node pool", func(j *structs.Job) { j.NodePool = "gpu" }, changePlacement},
		{"task constraint", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Constraints = []*structs.Constraint{{LTarget: "a", RTarget: "a"}}
		}, changePlacement},
		{"driver", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Driver = "pot" }, changeDestructive},
		{"user", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].User = "www" }, changeDestructive},
		{"task meta", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Meta = map[string]string{"a": "b"} }, changeDestructive},
		{"group meta", func(j *structs.Job) { j.TaskGroups[0].Meta = map[string]string{"a": "b"} }, changeDestructive},
		{"group port", func(j *structs.Job) {
			j.TaskGroups[0].Networks[0].DynamicPorts = append(j.TaskGroups[0].Networks[0].DynamicPorts, structs.Port{Label: "x"})
		}, changeDestructive},
		{"disk", func(j *structs.Job) { j.TaskGroups[0].EphemeralDisk = &structs.EphemeralDisk{SizeMB: 500} }, changeDestructive},
		{"memory max", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = 512 }, changeDestructive},
		{"task added", func(j *structs.Job) {
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, &structs.Task{Name: "side", Driver: "raw_exec"})
		}, changeDestructive},
		{"task renamed", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Name = "other" }, changeDestructive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := testJob("web", 1)
			cur := copyJob(old)
			tt.mutate(cur)
			if got := compareGroups(old, old.TaskGroups[0], cur, cur.TaskGroups[0]); got != tt.want {
				t.Errorf("change = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestValueEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{map[string]any{"n": 1}, map[string]any{"n": float64(1)}, true},
		{map[string]any{"n": int64(2)}, map[string]any{"n": 2.5}, false},
		{[]any{"a", 1}, []any{"a", float64(1)}, true},
		{[]any{"a"}, []any{"a", "b"}, false},
		{map[string]any{"m": map[string]any{"x": "1"}}, map[string]any{"m": map[string]any{"x": "1"}}, true},
		{map[string]any{"a": 1}, map[string]any{"b": 1}, false},
		{map[string]any(nil), map[string]any{}, true},
		{"80", 80, false},
		{[]string{"a"}, []string{"a"}, true},
	}
	for _, tt := range tests {
		if got := valueEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("valueEqual(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNetworksEqualNilAndEmpty(t *testing.T) {
	a := []*structs.NetworkResource{{Mode: "host"}}
	b := []*structs.NetworkResource{{Mode: "host", DynamicPorts: []structs.Port{}}}
	if !networksEqual(a, b) || !networksEqual(nil, []*structs.NetworkResource{}) {
		t.Error("nil and empty port lists differ")
	}
}

func TestInPlaceKeepsJobPointerCurrent(t *testing.T) {
	job := testJob("web", 1)
	st, as := stateWith(job, 0)
	as[0].Job = job
	job2 := copyJob(job)
	job2.Version = 1
	res := run(t, st, job2)
	up := res.Plan.NodeAllocation[as[0].NodeID]
	if len(up) != 1 || up[0].Job != job2 || up[0].EvalID != "eval-web" || up[0].ModifyTime != testNow.UnixNano() {
		t.Errorf("in-place update %+v", up)
	}
}
