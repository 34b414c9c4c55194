package jobspec

import (
	"reflect"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestMigrateBlock reads migrate blocks at job and group level: a group
// inherits the job's block, its own block overrides field by field, batch
// groups have none, and a group without either gets Nomad's default.
func TestMigrateBlock(t *testing.T) {
	def := structs.DefaultMigrateStrategy()
	tests := []struct {
		name string
		src  string
		want *structs.MigrateStrategy
	}{
		{"default", inJob(""), def},
		{"group block", inGroup(`migrate {
  max_parallel = 2
  health_check = "task_states"
  min_healthy_time = "2s"
  healthy_deadline = "1m"
}`), &structs.MigrateStrategy{MaxParallel: 2, HealthCheck: "task_states", MinHealthyTime: 2 * time.Second, HealthyDeadline: time.Minute}},
		{"job block inherited", inJob(`migrate {
  max_parallel = 3
}`), &structs.MigrateStrategy{MaxParallel: 3, HealthCheck: "checks", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}},
		{"batch has none", inJob(`type = "batch"
migrate {
  max_parallel = 3
}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := job.TaskGroups[0].Migrate; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("group migrate %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestMigrateBlockErrors reports bad migrate blocks at their place.
func TestMigrateBlockErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{"unknown argument", inGroup("migrate {\n  max_paralel = 1\n}"), []wantDiag{{4, 3, `"max_paralel"`}}},
		{"negative max_parallel", inGroup("migrate {\n  max_parallel = -1\n}"), []wantDiag{{4, 3, "must not be negative"}}},
		{"unknown health check", inGroup("migrate {\n  health_check = \"manual\"\n}"), []wantDiag{{4, 3, `unknown migrate health check "manual"`}}},
		{"min above deadline", inGroup("migrate {\n  min_healthy_time = \"10m\"\n  healthy_deadline = \"1m\"\n}"), []wantDiag{{4, 3, "must be below healthy_deadline"}}},
		{"not a duration", inGroup("migrate {\n  min_healthy_time = \"soon\"\n}"), []wantDiag{{4, 22, `"soon" is not a duration`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertDiags(t, tt.src, tt.want)
		})
	}
}
