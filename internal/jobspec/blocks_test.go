package jobspec

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// inJob wraps job-level lines around one valid group.
func inJob(jobLines string) string {
	return fmt.Sprintf(`job "j" {
%s
  group "g" {
    task "t" {
      driver = "raw_exec"
    }
  }
}
`, jobLines)
}

// inGroup wraps group-level lines in a job, with one valid task.
func inGroup(groupLines string) string {
	return fmt.Sprintf(`job "j" {
  group "g" {
%s
    task "t" {
      driver = "raw_exec"
    }
  }
}
`, groupLines)
}

// inTask wraps task-level lines in a job whose group declares port http.
func inTask(taskLines string) string {
	return fmt.Sprintf(`job "j" {
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "raw_exec"
%s
    }
  }
}
`, taskLines)
}

func TestJobBlocks(t *testing.T) {
	tests := []struct {
		name string
		src  string
		got  func(*structs.Job) any
		want any
	}{
		{"defaults", inJob(""), func(j *structs.Job) any {
			return []any{j.Region, j.Namespace, j.Type, j.Priority, j.Name, j.Datacenters}
		}, []any{"global", "default", "service", 50, "j", []string{"*"}}},
		{"attributes", inJob(`region = "eu"
namespace = "web"
type = "batch"
priority = 70
all_at_once = true
datacenters = ["a", "b"]
node_pool = "big"
name = "pretty"`), func(j *structs.Job) any {
			return []any{j.Region, j.Namespace, j.Type, j.Priority, j.AllAtOnce, j.Datacenters, j.NodePool, j.Name, j.ID}
		}, []any{"eu", "web", "batch", 70, true, []string{"a", "b"}, "big", "pretty", "j"}},
		{"meta block", inJob(`meta {
  owner = "ops"
  tier = 2
}`), func(j *structs.Job) any { return j.Meta }, map[string]string{"owner": "ops", "tier": "2"}},
		{"meta attribute", inJob(`meta = { "a.b" = "c" }`), func(j *structs.Job) any { return j.Meta }, map[string]string{"a.b": "c"}},
		{"constraint", inJob(`constraint {
  attribute = "${attr.kernel.name}"
  value = "freebsd"
}`), func(j *structs.Job) any { return *j.Constraints[0] },
			structs.Constraint{LTarget: "${attr.kernel.name}", RTarget: "freebsd", Operand: "="}},
		{"constraint operator", inJob(`constraint {
  attribute = "${meta.rack}"
  operator = "!="
  value = 3
}`), func(j *structs.Job) any { return *j.Constraints[0] },
			structs.Constraint{LTarget: "${meta.rack}", RTarget: "3", Operand: "!="}},
		{"constraint shorthands", inJob(`constraint {
  attribute = "${node.unique.name}"
  regexp = "^web"
}
constraint {
  distinct_hosts = true
}
constraint {
  distinct_hosts = false
}
constraint {
  distinct_property = "${meta.rack}"
  value = "2"
}`), func(j *structs.Job) any { return j.Constraints }, []*structs.Constraint{
			{LTarget: "${node.unique.name}", RTarget: "^web", Operand: "regexp"},
			{Operand: "distinct_hosts"},
			{LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property"},
		}},
		{"spread", inJob(`spread {
  attribute = "${node.datacenter}"
  weight = 80
  target "a" {
    percent = 60
  }
  target "b" {
    percent = 40
  }
}
spread {
  attribute = "${meta.rack}"
}`), func(j *structs.Job) any { return j.Spreads }, []*structs.Spread{
			{Attribute: "${node.datacenter}", Weight: 80, SpreadTarget: []*structs.SpreadTarget{{Value: "a", Percent: 60}, {Value: "b", Percent: 40}}},
			{Attribute: "${meta.rack}", Weight: 50},
		}},
		{"update merges into groups", `job "j" {
  update {
    max_parallel = 2
    stagger = "1m"
  }
  group "g" {
    update {
      canary = 1
    }
    task "t" {
      driver = "raw_exec"
    }
  }
  group "h" {
    task "t" {
      driver = "raw_exec"
    }
  }
}`, func(j *structs.Job) any {
			g, h := j.TaskGroups[0].Update, j.TaskGroups[1].Update
			return []any{g.MaxParallel, g.Stagger, g.Canary, g.HealthyDeadline, h.MaxParallel, h.Canary}
		}, []any{2, time.Minute, 1, 5 * time.Minute, 2, 0}},
		{"reschedule inherited", inJob(`reschedule {
  attempts = 5
  interval = "1h"
  unlimited = false
}`), func(j *structs.Job) any { return *j.TaskGroups[0].ReschedulePolicy }, structs.ReschedulePolicy{
			Attempts: 5, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour,
		}},
		{"batch defaults", inJob(`type = "batch"`), func(j *structs.Job) any {
			tg := j.TaskGroups[0]
			return []any{j.Update, tg.Update, *tg.RestartPolicy, *tg.ReschedulePolicy}
		}, []any{(*structs.UpdateStrategy)(nil), (*structs.UpdateStrategy)(nil),
			structs.RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "fail"},
			structs.ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"},
		}},
		{"variables", `variable "dc" {
  default = "minipot"
}
variable "n" {
  type = number
  default = 2
}
locals {
  name = upper("${var.dc}-web")
  tags = [for s in ["a", "b"] : "${s}-${local.suffix}"]
  suffix = "x"
}
job "j" {
  datacenters = [var.dc]
  group "g" {
    count = var.n
    task "t" {
      driver = "raw_exec"
      meta = { name = local.name }
      config {
        args = local.tags
      }
    }
  }
}`, func(j *structs.Job) any {
			t := j.TaskGroups[0].Tasks[0]
			return []any{j.Datacenters[0], j.TaskGroups[0].Count, t.Meta["name"], t.Config["args"]}
		}, []any{"minipot", 2, "MINIPOT-WEB", []any{"a-x", "b-x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := tt.got(job); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestVariableOverride(t *testing.T) {
	src := `variable "count" {
  type = number
  default = 1
}
variable "image" {}
job "j" {
  group "g" {
    count = var.count
    task "t" {
      driver = "pot"
      config {
        image = var.image
      }
    }
  }
}`
	job, err := ParseWithOptions("v.hcl", []byte(src), Options{Vars: map[string]string{"count": "3", "image": "https://r/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if c, img := job.TaskGroups[0].Count, job.TaskGroups[0].Tasks[0].Config["image"]; c != 3 || img != "https://r/x" {
		t.Errorf("count, image = %d, %v; want 3, https://r/x", c, img)
	}
}
