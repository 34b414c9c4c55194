package jobspec

import (
	"reflect"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestGroupBlocks(t *testing.T) {
	tests := []struct {
		name string
		src  string
		got  func(*structs.TaskGroup) any
		want any
	}{
		{"count default", inGroup(""), func(g *structs.TaskGroup) any { return g.Count }, 1},
		{"count", inGroup("count = 3"), func(g *structs.TaskGroup) any { return g.Count }, 3},
		{"count zero", inGroup("count = 0"), func(g *structs.TaskGroup) any { return g.Count }, 0},
		{"network", inGroup(`network {
  mode = "bridge"
  hostname = "web"
  port "http" {
    to = 8080
  }
  port "admin" {
    static = 9000
    to = 90
    host_network = "private"
  }
}`), func(g *structs.TaskGroup) any { return *g.Networks[0] }, structs.NetworkResource{
			Mode: "bridge", Hostname: "web",
			DynamicPorts:  []structs.Port{{Label: "http", To: 8080}},
			ReservedPorts: []structs.Port{{Label: "admin", Value: 9000, To: 90, HostNetwork: "private"}},
		}},
		{"network mode default", inGroup(`network {
  port "http" {}
}`), func(g *structs.TaskGroup) any { return g.Networks[0].Mode }, "host"},
		{"restart partial", inGroup(`restart {
  attempts = 1
}`), func(g *structs.TaskGroup) any { return *g.RestartPolicy },
			structs.RestartPolicy{Attempts: 1, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}},
		{"restart full", inGroup(`restart {
  attempts = 0
  interval = "10m"
  delay = "5s"
  mode = "delay"
}`), func(g *structs.TaskGroup) any { return *g.RestartPolicy },
			structs.RestartPolicy{Attempts: 0, Interval: 10 * time.Minute, Delay: 5 * time.Second, Mode: "delay"}},
		{"reschedule", inGroup(`reschedule {
  delay = "10s"
  delay_function = "fibonacci"
  max_delay = "2m"
}`), func(g *structs.TaskGroup) any { return *g.ReschedulePolicy }, structs.ReschedulePolicy{
			Delay: 10 * time.Second, DelayFunction: "fibonacci", MaxDelay: 2 * time.Minute, Unlimited: true,
		}},
		{"update", inGroup(`update {
  max_parallel = 3
  health_check = "task_states"
  min_healthy_time = "5s"
  healthy_deadline = "1m"
  progress_deadline = "2m"
  auto_revert = true
  auto_promote = true
  canary = 2
  stagger = "10s"
}`), func(g *structs.TaskGroup) any { return *g.Update }, structs.UpdateStrategy{
			MaxParallel: 3, HealthCheck: "task_states", MinHealthyTime: 5 * time.Second, HealthyDeadline: time.Minute,
			ProgressDeadline: 2 * time.Minute, AutoRevert: true, AutoPromote: true, Canary: 2, Stagger: 10 * time.Second,
		}},
		{"ephemeral disk", inGroup(`ephemeral_disk {
  size = 500
  sticky = true
  migrate = true
}`), func(g *structs.TaskGroup) any { return *g.EphemeralDisk }, structs.EphemeralDisk{SizeMB: 500, Sticky: true, Migrate: true}},
		{"ephemeral disk default", inGroup(""), func(g *structs.TaskGroup) any { return *g.EphemeralDisk }, structs.EphemeralDisk{SizeMB: 300}},
		{"shutdown delay and meta", inGroup(`shutdown_delay = "5s"
meta {
  a = "b"
}`), func(g *structs.TaskGroup) any { return []any{*g.ShutdownDelay, g.Meta} },
			[]any{5 * time.Second, map[string]string{"a": "b"}}},
		{"constraint and spread", inGroup(`constraint {
  attribute = "${attr.os.name}"
  value = "freebsd"
}
spread {
  attribute = "${node.unique.id}"
}`), func(g *structs.TaskGroup) any { return []any{g.Constraints[0].Operand, g.Spreads[0].Weight} }, []any{"=", int8(50)}},
		{"group service", inGroup(`network {
  port "http" {}
}
service {
  port = "http"
  check {
    type = "http"
    path = "/health"
    interval = "10s"
    timeout = "1s"
  }
}`), func(g *structs.TaskGroup) any {
			s := g.Services[0]
			return []any{s.Name, s.PortLabel, s.AddressMode, s.Provider, s.Checks[0].Path, s.Checks[0].OnUpdate}
		}, []any{"j-g", "http", "auto", "consul", "/health", "require_healthy"}},
		{"task restart inherits group's", inGroup(`restart {
  attempts = 7
  interval = "2h"
}`), func(g *structs.TaskGroup) any { return *g.Tasks[0].RestartPolicy },
			structs.RestartPolicy{Attempts: 7, Interval: 2 * time.Hour, Delay: 15 * time.Second, Mode: "fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := tt.got(job.TaskGroups[0]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestTaskBlocks(t *testing.T) {
	tests := []struct {
		name string
		src  string
		got  func(*structs.Task) any
		want any
	}{
		{"defaults", inTask(""), func(t *structs.Task) any {
			return []any{*t.Resources, t.KillTimeout, *t.LogConfig, t.RestartPolicy.Attempts}
		}, []any{structs.Resources{CPU: 100, MemoryMB: 300}, 5 * time.Second, structs.LogConfig{MaxFiles: 10, MaxFileSizeMB: 10}, 2}},
		{"attributes", inTask(`user = "www"
kill_timeout = "30s"
kill_signal = "SIGINT"
leader = true
shutdown_delay = "2s"`), func(t *structs.Task) any {
			return []any{t.User, t.KillTimeout, t.KillSignal, t.Leader, t.ShutdownDelay}
		}, []any{"www", 30 * time.Second, "SIGINT", true, 2 * time.Second}},
		{"config values", inTask(`config {
  image = "x"
  port = 80
  ratio = 0.5
  debug = true
  args = ["-p", "${NOMAD_PORT_http}"]
  port_map = { http = "80" }
  nested = { a = [1, 2], b = { c = "d" } }
  mount {
    src = "/a"
  }
  mount {
    src = "/b"
  }
  labelled "x" {
    y = 1
  }
}`), func(t *structs.Task) any { return t.Config }, map[string]any{
			"image": "x", "port": 80, "ratio": 0.5, "debug": true,
			"args":     []any{"-p", "${NOMAD_PORT_http}"},
			"port_map": map[string]any{"http": "80"},
			"nested":   map[string]any{"a": []any{1, 2}, "b": map[string]any{"c": "d"}},
			"mount":    []any{map[string]any{"src": "/a"}, map[string]any{"src": "/b"}},
			"labelled": []any{map[string]any{"x": map[string]any{"y": 1}}},
		}},
		{"env block", inTask(`env {
  PORT = "${NOMAD_PORT_http}"
  N = 3
}`), func(t *structs.Task) any { return t.Env }, map[string]string{"PORT": "${NOMAD_PORT_http}", "N": "3"}},
		{"env attribute", inTask(`env = { "A.B" = "c" }`), func(t *structs.Task) any { return t.Env }, map[string]string{"A.B": "c"}},
		{"meta", inTask(`meta {
  x = "y"
}`), func(t *structs.Task) any { return t.Meta }, map[string]string{"x": "y"}},
		{"resources", inTask(`resources {
  cpu = 500
  memory = 256
  memory_max = 512
  disk = 100
}`), func(t *structs.Task) any { return *t.Resources }, structs.Resources{CPU: 500, MemoryMB: 256, MemoryMaxMB: 512, DiskMB: 100}},
		{"resources cores", inTask(`resources {
  cores = 2
}`), func(t *structs.Task) any { return *t.Resources }, structs.Resources{Cores: 2, MemoryMB: 300}},
		{"resources legacy network", `job "j" {
  group "g" {
    task "t" {
      driver = "pot"
      resources {
        network {
          mbits = 10
          port "http" {}
          port "db" {
            static = 5432
          }
        }
      }
      service {
        port = "db"
      }
    }
  }
}`, func(t *structs.Task) any { return *t.Resources.Networks[0] }, structs.NetworkResource{
			Mode: "host", MBits: 10, DynamicPorts: []structs.Port{{Label: "http"}}, ReservedPorts: []structs.Port{{Label: "db", Value: 5432}},
		}},
		{"logs", inTask(`logs {
  max_files = 3
}`), func(t *structs.Task) any { return *t.LogConfig }, structs.LogConfig{MaxFiles: 3, MaxFileSizeMB: 10}},
		{"logs disabled", inTask(`logs {
  enabled = false
}`), func(t *structs.Task) any { return t.LogConfig.Disabled }, true},
		{"restart partial", inTask(`restart {
  mode = "delay"
}`), func(t *structs.Task) any { return *t.RestartPolicy },
			structs.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "delay"}},
		{"constraint", inTask(`constraint {
  attribute = "${attr.cpu.arch}"
  operator = "set_contains_any"
  value = "amd64,arm64"
}`), func(t *structs.Task) any { return *t.Constraints[0] },
			structs.Constraint{LTarget: "${attr.cpu.arch}", Operand: "set_contains_any", RTarget: "amd64,arm64"}},
		{"service defaults", inTask(`service {
  port = "http"
}`), func(t *structs.Task) any {
			s := t.Services[0]
			return []any{s.Name, s.AddressMode, s.Provider, s.OnUpdate}
		}, []any{"j-g-t", "auto", "consul", "require_healthy"}},
		{"service full", inTask(`service {
  name = "web"
  tags = ["a"]
  canary_tags = ["c"]
  port = "http"
  address_mode = "host"
  address = "10.0.0.1"
  provider = "nomad"
  on_update = "ignore"
  enable_tag_override = true
  meta {
    v = "1"
  }
  check_restart {
    limit = 3
  }
  check {
    type = "http"
    name = "health"
    path = "/health"
    port = "http"
    method = "POST"
    protocol = "https"
    body = "{}"
    header {
      Authorization = ["Basic x"]
    }
    interval = "10s"
    timeout = "2s"
    success_before_passing = 2
    failures_before_critical = 3
    initial_status = "passing"
    tls_skip_verify = true
  }
  check {
    type = "script"
    command = "/bin/check"
    args = ["-q"]
    interval = "1m"
    timeout = "5s"
    check_restart {
      limit = 1
      grace = "30s"
      ignore_warnings = true
    }
  }
}`), func(t *structs.Task) any {
			s := t.Services[0]
			return []any{s.Name, s.Tags, s.CanaryTags, s.AddressMode, s.Address, s.Provider, s.OnUpdate, s.EnableTagOverride,
				s.Meta, *s.CheckRestart, *s.Checks[0], *s.Checks[1]}
		}, []any{"web", []string{"a"}, []string{"c"}, "host", "10.0.0.1", "nomad", "ignore", true,
			map[string]string{"v": "1"}, structs.CheckRestart{Limit: 3, Grace: time.Second},
			structs.ServiceCheck{Name: "health", Type: "http", Path: "/health", PortLabel: "http", Method: "POST",
				Protocol: "https", Body: "{}", Header: map[string][]string{"Authorization": {"Basic x"}},
				Interval: 10 * time.Second, Timeout: 2 * time.Second, SuccessBeforePassing: 2, FailuresBeforeCritical: 3,
				InitialStatus: "passing", TLSSkipVerify: true, OnUpdate: "ignore",
				CheckRestart: &structs.CheckRestart{Limit: 3, Grace: time.Second}},
			structs.ServiceCheck{Type: "script", Command: "/bin/check", Args: []string{"-q"}, Interval: time.Minute,
				Timeout: 5 * time.Second, OnUpdate: "ignore",
				CheckRestart: &structs.CheckRestart{Limit: 1, Grace: 30 * time.Second, IgnoreWarnings: true}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := tt.got(job.TaskGroups[0].Tasks[0]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}
