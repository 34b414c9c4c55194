package agent

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestJobLimitsConfig(t *testing.T) {
	tests := []struct {
		name, src string
		want      server.Limits
		err       string
	}{
		{"absent keeps the defaults", ``, server.Limits{}, ""},
		{"every key", `limits {
  job_max_count       = 50000
  job_max_groups      = 10
  job_max_group_tasks = 5
  job_max_tasks       = 20
  job_max_bytes       = 1000000
  meta_max_bytes      = 2048
  hcl_max_bytes       = 4096
  hcl_max_depth       = 30
  json_max_depth      = 40
}`, server.Limits{Job: structs.JobLimits{MaxCount: 50000, MaxGroups: 10, MaxGroupTasks: 5, MaxTasks: 20, MaxMetaBytes: 2048},
			JobMaxBytes: 1000000, HCLMaxBytes: 4096, HCLMaxDepth: 30, JSONMaxDepth: 40}, ""},
		{"negative", "limits {\n  job_max_groups = -1\n}", server.Limits{}, "limits.job_max_groups: -1 must not be negative"},
		{"unknown key", "limits {\n  job_max_cuont = 1\n}", server.Limits{}, "job_max_cuont"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("agent.hcl", []byte(tt.src))
			var got server.Limits
			if err == nil {
				got, err = cfg.Limits.serverLimits()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("limits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDriverSchemasCoverShippedDrivers(t *testing.T) {
	for _, d := range []string{"raw_exec", "pot"} {
		if _, ok := driverSchemas[d]; !ok {
			t.Errorf("no config schema for driver %s", d)
		}
	}
	if err := driverSchemas.Validate("raw_exec", map[string]any{"command": "/bin/true"}); err != nil {
		t.Fatal(err)
	}
}
