package structs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValidateAcceptsTestJob(t *testing.T) {
	if err := testJob().Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
}

func TestValidate(t *testing.T) {
	g0 := `TaskGroups["group1"]`
	t0 := g0 + `.Tasks["www1"]`
	s0 := t0 + ".Services[0]"
	c0 := s0 + ".Checks[0]"
	g1 := `TaskGroups["api"]`
	tests := []struct {
		name   string
		mutate func(*Job)
		field  string
		text   string
	}{
		{"missing ID", func(j *Job) { j.ID = "" }, "ID", "missing job ID"},
		{"space in ID", func(j *Job) { j.ID = "a b" }, "ID", "contains a space"},
		{"NUL in ID", func(j *Job) { j.ID = "a\x00b" }, "ID", "null character"},
		{"missing name", func(j *Job) { j.Name = "" }, "Name", "missing job name"},
		{"system type", func(j *Job) { j.Type = "system" }, "Type", `"system" is not supported by wharf`},
		{"sysbatch type", func(j *Job) { j.Type = "sysbatch" }, "Type", `"sysbatch" is not supported by wharf`},
		{"unknown type", func(j *Job) { j.Type = "daemon" }, "Type", `unknown job type "daemon"`},
		{"priority low", func(j *Job) { j.Priority = 0 }, "Priority", "between 1 and 100"},
		{"priority high", func(j *Job) { j.Priority = 101 }, "Priority", "between 1 and 100"},
		{"no datacenters", func(j *Job) { j.Datacenters = nil }, "Datacenters", "missing datacenters"},
		{"no groups", func(j *Job) { j.TaskGroups = nil }, "TaskGroups", "no task groups"},
		{"duplicate group", func(j *Job) { j.TaskGroups[1].Name = "group1" }, g0, `duplicate task group "group1"`},
		{"negative count", func(j *Job) { j.TaskGroups[0].Count = -1 }, g0 + ".Count", "must not be negative"},
		{"no tasks", func(j *Job) { j.TaskGroups[0].Tasks = nil }, g0 + ".Tasks", "has no tasks"},
		{"duplicate task", func(j *Job) {
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, &Task{Name: "www1", Driver: "x", Resources: DefaultResources()})
		}, t0, `duplicate task "www1"`},
		{"missing driver", func(j *Job) { j.TaskGroups[0].Tasks[0].Driver = "" }, t0 + ".Driver", "missing driver"},
		{"cpu zero", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = 0 }, t0 + ".Resources.CPU", "below the minimum of 1"},
		{"cpu and cores", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.Cores = 2 }, t0 + ".Resources.Cores", "not both"},
		{"memory low", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 9 }, t0 + ".Resources.MemoryMB", "minimum of 10 MB"},
		{"memory max below memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = 32 }, t0 + ".Resources.MemoryMaxMB", "below memory"},
		{"duplicate port in alloc", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Resources.Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "http"}}}}
		}, t0 + `.Resources.Networks[0].DynamicPorts["http"]`, `duplicate port label "http"`},
		{"static port zero", func(j *Job) { j.TaskGroups[1].Networks[0].ReservedPorts[0].Value = 0 }, g1 + `.Networks[0].ReservedPorts["api"].Value`, "out of range"},
		{"static port high", func(j *Job) { j.TaskGroups[1].Networks[0].ReservedPorts[0].Value = 70000 }, g1 + `.Networks[0].ReservedPorts["api"].Value`, "out of range"},
		{"two networks", func(j *Job) { j.TaskGroups[0].Networks = append(j.TaskGroups[0].Networks, &NetworkResource{}) }, g0 + ".Networks", "only one network block"},
		{"cni network", func(j *Job) { j.TaskGroups[0].Networks[0].Mode = "cni/x" }, g0 + ".Networks[0].Mode", "not supported by wharf"},
		{"undeclared service port", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].PortLabel = "web" }, s0 + ".PortLabel", `port label "web" is not declared`},
		{"group service uses task port", func(j *Job) {
			j.TaskGroups[1].Tasks[0].Resources.Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "admin"}}}}
			j.TaskGroups[1].Services[0].PortLabel = "admin"
		}, g1 + ".Services[0].PortLabel", "group services see only the group's ports"},
		{"task service uses legacy port", func(j *Job) {
			j.TaskGroups[1].Tasks[0].Resources.Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "admin"}}}}
			j.TaskGroups[1].Tasks[0].Services = []*Service{{Name: "admin", PortLabel: "admin"}}
			j.TaskGroups[1].Tasks[0].Services[0].PortLabel = "nope"
		}, g1 + `.Tasks["server"].Services[0].PortLabel`, `"nope" is not declared`},
		{"numeric port needs driver mode", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].PortLabel = "8080" }, s0 + ".PortLabel", "address_mode driver"},
		{"bad service name", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Name = "hello_web" }, s0 + ".Name", "not a valid DNS name"},
		{"too many tags", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Tags = make([]string, 257) }, s0 + ".Tags", "257 tags are over the limit of 256"},
		{"long canary tag", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].CanaryTags = []string{strings.Repeat("t", 513)} },
			s0 + ".CanaryTags[0]", "a tag of 513 bytes is over the limit of 512"},
		{"too many meta keys", func(j *Job) {
			m := map[string]string{}
			for i := range 65 {
				m[fmt.Sprint("k", i)] = "v"
			}
			j.TaskGroups[0].Tasks[0].Services[0].Meta = m
		}, s0 + ".Meta", "65 keys are over the limit of 64"},
		{"long meta value", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Services[0].Meta = map[string]string{"k": strings.Repeat("v", 513)}
		},
			s0 + ".Meta.k", "a value of 513 bytes is over the limit of 512"},
		{"bad address mode", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].AddressMode = "ipv6" }, s0 + ".AddressMode", "unknown address mode"},
		{"grpc check", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Type = "grpc" }, c0 + ".Type", "grpc checks are not supported by wharf"},
		{"unknown check", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Type = "ping" }, c0 + ".Type", `unknown check type "ping"`},
		{"http check without path", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Type = "http" }, c0 + ".Path", "needs a path"},
		{"script check without command", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Type = "script" }, c0 + ".Command", "needs a command"},
		{"group script check without task", func(j *Job) {
			c := j.TaskGroups[1].Services[0].Checks[0]
			c.Type, c.Command = "script", "/bin/true"
		}, g1 + ".Services[0].Checks[0].TaskName", "needs a task"},
		{"check interval", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Interval = time.Millisecond }, c0 + ".Interval", "minimum of 1s"},
		{"check timeout", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Timeout = 0 }, c0 + ".Timeout", "must be positive"},
		{"check without port", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].PortLabel = "" }, c0 + ".PortLabel", "tcp check needs a port"},
		{"restart mode", func(j *Job) { j.TaskGroups[0].RestartPolicy.Mode = "never" }, g0 + ".RestartPolicy.Mode", `unknown restart mode "never"`},
		{"restart interval", func(j *Job) { j.TaskGroups[0].RestartPolicy.Interval = time.Second }, g0 + ".RestartPolicy.Interval", "cannot fit"},
		{"task restart mode", func(j *Job) { j.TaskGroups[0].Tasks[0].RestartPolicy.Mode = "x" }, t0 + ".RestartPolicy.Mode", "unknown restart mode"},
		{"delay function", func(j *Job) { j.TaskGroups[0].ReschedulePolicy.DelayFunction = "linear" }, g0 + ".ReschedulePolicy.DelayFunction", "unknown delay function"},
		{"max parallel", func(j *Job) { j.TaskGroups[0].Update.MaxParallel = -1 }, g0 + ".Update.MaxParallel", "must not be negative"},
		{"job update", func(j *Job) { j.Update.HealthCheck = "x" }, "Update.HealthCheck", "unknown health check"},
		{"min healthy time", func(j *Job) { j.TaskGroups[0].Update.MinHealthyTime = time.Hour }, g0 + ".Update.MinHealthyTime", "below healthy_deadline"},
		{"spread percent", func(j *Job) {
			j.Spreads = []*Spread{{Attribute: "${node.datacenter}", Weight: 50, SpreadTarget: []*SpreadTarget{{Value: "a", Percent: 60}, {Value: "b", Percent: 50}}}}
		}, "Spreads[0].SpreadTarget", "add up to 110"},
		{"spread attribute", func(j *Job) { j.TaskGroups[0].Spreads = []*Spread{{Weight: 50}} }, g0 + ".Spreads[0].Attribute", "needs an attribute"},
		{"constraint operand", func(j *Job) { j.Constraints = []*Constraint{{LTarget: "a", RTarget: "b", Operand: "~"}} }, "Constraints[0].Operand", "unknown constraint operator"},
		{"constraint regexp", func(j *Job) { j.Constraints = []*Constraint{{LTarget: "a", RTarget: "(", Operand: "regexp"}} }, "Constraints[0].RTarget", "invalid regular expression"},
		{"affinity", func(j *Job) { j.TaskGroups[0].Affinities = []*Affinity{{LTarget: "a"}} }, g0 + ".Affinities[0]", "affinity is not supported by wharf"},
		{"log max files", func(j *Job) { j.TaskGroups[0].Tasks[0].LogConfig.MaxFiles = 0 }, t0 + ".LogConfig.MaxFiles", "at least 1"},
		{"ephemeral disk", func(j *Job) { j.TaskGroups[0].EphemeralDisk.SizeMB = 1 }, g0 + ".EphemeralDisk.SizeMB", "minimum of 10 MB"},
		{"two leaders", func(j *Job) {
			j.TaskGroups[1].Tasks = append(j.TaskGroups[1].Tasks, &Task{Name: "b", Driver: "x", Resources: DefaultResources(), Leader: true})
			j.TaskGroups[1].Tasks[0].Leader = true
		}, g1 + ".Tasks", "only one task may be the leader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := testJob()
			tt.mutate(j)
			err := j.Validate()
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want *ValidationError", err)
			}
			for _, p := range verr.Problems {
				if p.Field == tt.field && strings.Contains(p.Message+" ("+p.Hint+")", tt.text) {
					return
				}
			}
			t.Errorf("want problem %s: ...%s...; got:\n%v", tt.field, tt.text, err)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	j := testJob()
	j.Priority = 0
	j.TaskGroups[0].Count = -2
	j.TaskGroups[0].Tasks[0].Driver = ""
	j.TaskGroups[1].Tasks[0].Resources.MemoryMB = 1
	err := j.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 4 {
		t.Fatalf("Validate = %v, want 4 problems", err)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "Priority: ") {
		t.Errorf("Error() = %q, want one problem per line starting with the field", err.Error())
	}
	var nilJob *Job
	if nilJob.Validate() == nil {
		t.Error("nil job validated")
	}
}

func BenchmarkValidate(b *testing.B) {
	j := testJob()
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
