package structs

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCheckLimits(t *testing.T) {
	big := map[string]string{"k": strings.Repeat("v", DefaultMaxMetaBytes)}
	tests := []struct {
		name   string
		limits JobLimits
		mod    func(j *Job)
		want   []string // substrings; none means within limits
	}{
		{"seed shaped job", JobLimits{}, func(*Job) {}, nil},
		{"count at the limit", JobLimits{}, func(j *Job) { j.TaskGroups[0].Count = DefaultMaxCount - 2 }, nil},
		{"count int64 max", JobLimits{}, func(j *Job) { j.TaskGroups[0].Count = math.MaxInt64 },
			[]string{"TaskGroups[0].Count: count 9223372036854775807 is over the limit of 10000 (limits.job_max_count"}},
		{"count sum does not overflow", JobLimits{}, func(j *Job) {
			j.TaskGroups[0].Count, j.TaskGroups[1].Count = math.MaxInt64, math.MaxInt64
		}, []string{"sum of the groups' counts 20002"}},
		{"configured count", JobLimits{MaxCount: 2}, func(*Job) {}, []string{"sum of the groups' counts 3 is over the limit of 2"}},
		{"groups", JobLimits{MaxGroups: 1}, func(*Job) {}, []string{"TaskGroups: number of task groups 2 is over the limit of 1 (limits.job_max_groups"}},
		{"group tasks", JobLimits{MaxGroupTasks: 1}, func(j *Job) {
			j.TaskGroups[1].Tasks = append(j.TaskGroups[1].Tasks, &Task{Name: "b"})
		}, []string{"TaskGroups[1].Tasks: number of tasks in the group 2"}},
		{"job tasks", JobLimits{MaxTasks: 1}, func(*Job) {}, []string{"number of tasks in the job 2 is over the limit of 1"}},
		{"job meta", JobLimits{}, func(j *Job) { j.Meta = big }, []string{"Meta: size in bytes 65537"}},
		{"task env", JobLimits{}, func(j *Job) { j.TaskGroups[1].Tasks[0].Env = big }, []string{"TaskGroups[1].Tasks[0].Env"}},
		{"service meta", JobLimits{}, func(j *Job) { j.TaskGroups[1].Services[0].Meta = big }, []string{"TaskGroups[1].Services[0].Meta"}},
		{"long names", JobLimits{}, func(j *Job) { j.TaskGroups[0].Tasks[0].Name = strings.Repeat("t", MaxNameBytes+1) },
			[]string{"TaskGroups[0].Tasks[0].Name: length 257 bytes"}},
		{"long port label", JobLimits{}, func(j *Job) {
			j.TaskGroups[0].Networks[0].DynamicPorts[0].Label = strings.Repeat("p", 300)
		}, []string{"TaskGroups[0].Networks[0].DynamicPorts[0].Label: length 300 bytes"}},
		{"long service name", JobLimits{}, func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Name = strings.Repeat("s", 300) },
			[]string{"TaskGroups[0].Tasks[0].Services[0].Name: length 300"}},
		{"nil groups and tasks are left to Validate", JobLimits{}, func(j *Job) {
			j.TaskGroups = append(j.TaskGroups, nil)
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, nil)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := testJob()
			tt.mod(j)
			err := j.CheckLimits(tt.limits)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckLimits = %v, want nil", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("CheckLimits = %v, want a *LimitError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckLimitsCapsProblems(t *testing.T) {
	j := testJob()
	for i := 0; i < 1000; i++ {
		j.TaskGroups = append(j.TaskGroups, &TaskGroup{Name: strings.Repeat("g", 300), Count: math.MaxInt64})
	}
	var le *LimitError
	if !errors.As(j.CheckLimits(JobLimits{}), &le) || len(le.Problems) != maxProblems {
		t.Fatalf("problems: %v", le)
	}
}

// TestValidateBounds covers numbers large enough to overflow the
// scheduler's or the client's arithmetic.
func TestValidateBounds(t *testing.T) {
	year := 365 * 24 * time.Hour
	tests := []struct {
		name string
		mod  func(j *Job)
		want string
	}{
		{"cpu", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = math.MaxInt64 }, `Resources.CPU: 9223372036854775807 MHz is over the maximum`},
		{"memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = MaxResourceMB + 1 }, `Resources.MemoryMB: 4294967297 MB`},
		{"memory max", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = math.MaxInt64 }, `Resources.MemoryMaxMB`},
		{"cores", func(j *Job) {
			r := j.TaskGroups[0].Tasks[0].Resources
			r.CPU, r.Cores = 0, math.MaxInt32
		}, `Resources.Cores`},
		{"disk", func(j *Job) { j.TaskGroups[0].EphemeralDisk.SizeMB = math.MaxInt64 }, `EphemeralDisk.SizeMB`},
		{"kill timeout", func(j *Job) { j.TaskGroups[0].Tasks[0].KillTimeout = 11 * year }, `KillTimeout: duration`},
		{"restart overflow", func(j *Job) {
			j.TaskGroups[0].RestartPolicy = &RestartPolicy{Mode: "fail", Attempts: 3, Delay: math.MaxInt64 / 2, Interval: time.Hour}
		}, `cannot fit in an interval`},
		{"restart attempts", func(j *Job) {
			j.TaskGroups[0].RestartPolicy = &RestartPolicy{Mode: "fail", Attempts: math.MaxInt64, Delay: 0, Interval: time.Hour}
		}, `RestartPolicy.Attempts: 9223372036854775807 is over the maximum of 1000000`},
		{"reschedule delay", func(j *Job) {
			j.TaskGroups[0].ReschedulePolicy = &ReschedulePolicy{DelayFunction: "exponential", Delay: math.MaxInt64, Unlimited: true}
		}, `ReschedulePolicy.Delay: duration`},
		{"update canary", func(j *Job) {
			u := *j.TaskGroups[0].Update
			u.Canary = math.MaxInt64
			j.TaskGroups[0].Update = &u
		}, `Update.Canary`},
		{"log files", func(j *Job) { j.TaskGroups[0].Tasks[0].LogConfig.MaxFileSizeMB = math.MaxInt64 }, `LogConfig.MaxFileSizeMB`},
		{"check interval", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Interval = math.MaxInt64 }, `Checks[0].Interval: duration`},
		{"check restart", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Services[0].Checks[0].CheckRestart = &CheckRestart{Limit: math.MaxInt64}
		}, `CheckRestart.Limit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := testJob()
			tt.mod(j)
			err := j.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}
