package structs

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func findField(fs []*FieldDiff, name string) *FieldDiff {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func findGroup(d *JobDiff, name string) *TaskGroupDiff {
	for _, g := range d.TaskGroups {
		if g.Name == name {
			return g
		}
	}
	return &TaskGroupDiff{}
}

func findObject(objs []*ObjectDiff, name string) *ObjectDiff {
	for _, o := range objs {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func TestDiffJobsAddedAndDeleted(t *testing.T) {
	if d := DiffJobs(nil, nil); d.Type != DiffTypeNone {
		t.Errorf("nil, nil: type %s", d.Type)
	}
	j := testJob()
	added := DiffJobs(nil, j)
	if added.Type != DiffTypeAdded || added.ID != j.ID || len(added.TaskGroups) != 2 {
		t.Fatalf("added: %+v", added)
	}
	if f := findField(added.Fields, "Priority"); f == nil || f.Type != DiffTypeAdded || f.New != "50" {
		t.Errorf("added Priority field = %+v", f)
	}
	if findField(added.Fields, "Version") != nil || findField(added.Fields, "ID") != nil {
		t.Error("added diff shows server-set or key fields")
	}
	g := added.TaskGroups[1] // groups sorted by name: api, group1
	if g.Name != "group1" || g.Type != DiffTypeAdded || len(g.Tasks) != 1 || g.Tasks[0].Type != DiffTypeAdded {
		t.Fatalf("added group = %+v", g)
	}
	cfg := findObject(g.Tasks[0].Objects, "Config")
	if cfg == nil || findField(cfg.Fields, "port_map[http]") == nil || findField(cfg.Fields, "args[1]") == nil {
		t.Errorf("added config = %+v", cfg)
	}
	deleted := DiffJobs(j, nil)
	if deleted.Type != DiffTypeDeleted || deleted.TaskGroups[0].Type != DiffTypeDeleted {
		t.Errorf("deleted: %+v", deleted)
	}
}

func TestDiffJobsEdits(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Job)
		check  func(t *testing.T, d *JobDiff)
	}{
		{"unchanged", func(*Job) {}, func(t *testing.T, d *JobDiff) {
			if d.Type != DiffTypeNone || len(d.TaskGroups) != 2 || d.TaskGroups[0].Type != DiffTypeNone || len(d.TaskGroups[0].Tasks) != 0 {
				t.Errorf("diff = %+v", d)
			}
		}},
		{"server fields ignored", func(j *Job) {
			j.Version, j.ModifyIndex, j.JobModifyIndex, j.Status, j.SubmitTime, j.Stable = 4, 9, 9, "running", 1, true
		}, func(t *testing.T, d *JobDiff) {
			if d.Type != DiffTypeNone {
				t.Errorf("type %s, fields %+v", d.Type, d.Fields)
			}
		}},
		{"stop", func(j *Job) { j.Stop = true }, func(t *testing.T, d *JobDiff) {
			if f := findField(d.Fields, "Stop"); d.Type != DiffTypeEdited || f == nil || f.Old != "false" || f.New != "true" {
				t.Errorf("stop field = %+v", f)
			}
		}},
		{"count", func(j *Job) { j.TaskGroups[0].Count = 2 }, func(t *testing.T, d *JobDiff) {
			g := findGroup(d, "group1")
			if f := findField(g.Fields, "Count"); g.Type != DiffTypeEdited || f == nil || f.Type != DiffTypeEdited || f.Old != "1" || f.New != "2" {
				t.Errorf("group diff = %+v, count field = %+v", g, f)
			}
			if len(g.Tasks) != 0 {
				t.Errorf("unchanged tasks listed: %+v", g.Tasks)
			}
		}},
		{"datacenters and meta", func(j *Job) {
			j.Datacenters = []string{"minipot", "dc2"}
			j.Meta = map[string]string{"owner": "dev"}
		}, func(t *testing.T, d *JobDiff) {
			dcs := findObject(d.Objects, "Datacenters")
			if dcs == nil || dcs.Type != DiffTypeEdited || len(dcs.Fields) != 1 || dcs.Fields[0].New != "dc2" {
				t.Errorf("datacenters = %+v", dcs)
			}
			if f := findField(d.Fields, "Meta[owner]"); f == nil || f.Old != "ops" || f.New != "dev" {
				t.Errorf("meta field = %+v", f)
			}
		}},
		{"config", func(j *Job) { j.TaskGroups[0].Tasks[0].Config["port_map"] = map[string]any{"http": "8080"} }, func(t *testing.T, d *JobDiff) {
			task := findGroup(d, "group1").Tasks[0]
			cfg := findObject(task.Objects, "Config")
			if task.Type != DiffTypeEdited || cfg == nil || len(cfg.Fields) != 1 || cfg.Fields[0].Name != "port_map[http]" || cfg.Fields[0].New != "8080" {
				t.Errorf("task diff = %+v, config = %+v", task, cfg)
			}
		}},
		{"check interval", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Interval = 10 * time.Second }, func(t *testing.T, d *JobDiff) {
			svc := findObject(findGroup(d, "group1").Tasks[0].Objects, "Service")
			if svc == nil || svc.Type != DiffTypeEdited {
				t.Fatalf("service = %+v", svc)
			}
			chk := findObject(svc.Objects, "Check")
			if f := findField(chk.Fields, "Interval"); f == nil || f.Old != "5000000000" || f.New != "10000000000" {
				t.Errorf("check = %+v", chk)
			}
		}},
		{"port and resources", func(j *Job) {
			j.TaskGroups[0].Networks[0].DynamicPorts = append(j.TaskGroups[0].Networks[0].DynamicPorts, Port{Label: "admin"})
			j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 128
		}, func(t *testing.T, d *JobDiff) {
			net := findObject(findGroup(d, "group1").Objects, "Network")
			if p := findObject(net.Objects, "Dynamic Port"); p == nil || p.Type != DiffTypeAdded || findField(p.Fields, "Label").New != "admin" {
				t.Errorf("network = %+v", net)
			}
			res := findObject(findGroup(d, "group1").Tasks[0].Objects, "Resources")
			if f := findField(res.Fields, "MemoryMB"); f == nil || f.Old != "64" || f.New != "128" {
				t.Errorf("resources = %+v", res)
			}
		}},
		{"task added and group removed", func(j *Job) {
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, &Task{Name: "sidecar", Driver: "raw_exec"})
			j.TaskGroups = j.TaskGroups[:1]
		}, func(t *testing.T, d *JobDiff) {
			if d.TaskGroups[0].Name != "api" || d.TaskGroups[0].Type != DiffTypeDeleted {
				t.Errorf("group api = %+v", d.TaskGroups[0])
			}
			tasks := findGroup(d, "group1").Tasks
			if len(tasks) != 1 || tasks[0].Name != "sidecar" || tasks[0].Type != DiffTypeAdded {
				t.Errorf("tasks = %+v", tasks)
			}
		}},
		{"restart policy", func(j *Job) { j.TaskGroups[0].RestartPolicy.Attempts = 9 }, func(t *testing.T, d *JobDiff) {
			rp := findObject(findGroup(d, "group1").Objects, "RestartPolicy")
			if rp == nil || rp.Type != DiffTypeEdited || findField(rp.Fields, "Attempts").New != "9" {
				t.Errorf("restart = %+v", rp)
			}
		}},
		{"constraint added", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "freebsd", Operand: "="}}
		}, func(t *testing.T, d *JobDiff) {
			c := findObject(d.Objects, "Constraint")
			if c == nil || c.Type != DiffTypeAdded || findField(c.Fields, "RTarget").New != "freebsd" {
				t.Errorf("constraint = %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := testJob(), testJob()
			tt.mutate(new)
			tt.check(t, DiffJobs(old, new))
		})
	}
}

func TestDiffJobsAfterJSONRoundTrip(t *testing.T) {
	j := testJob()
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var back Job
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := DiffJobs(j, &back); d.Type != DiffTypeNone {
		t.Errorf("diff after a JSON round trip = %s", d.Type)
	}
}

func TestDiffJobsIsDeterministic(t *testing.T) {
	old, new := testJob(), testJob()
	new.Meta = map[string]string{"a": "1", "b": "2", "c": "3"}
	new.TaskGroups[0].Tasks[0].Config["x"] = map[string]any{"k1": 1, "k2": 2, "k3": 3}
	first := DiffJobs(old, new)
	for range 20 {
		if again := DiffJobs(old, new); !reflect.DeepEqual(first, again) {
			t.Fatal("two diffs of the same jobs differ")
		}
	}
}

func BenchmarkDiffJobs(b *testing.B) {
	old, new := testJob(), testJob()
	new.TaskGroups[0].Count = 3
	b.ReportAllocs()
	for b.Loop() {
		DiffJobs(old, new)
	}
}
