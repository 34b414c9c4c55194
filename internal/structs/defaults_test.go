package structs

import (
	"reflect"
	"testing"
	"time"
)

func TestCanonicalizeServiceJob(t *testing.T) {
	j := &Job{ID: "web", TaskGroups: []*TaskGroup{{
		Name: "g", Count: 1,
		Services: []*Service{{PortLabel: "http"}},
		Tasks: []*Task{{Name: "t", Driver: "pot", Services: []*Service{{
			CheckRestart: &CheckRestart{Limit: 2},
			Checks:       []*ServiceCheck{{Type: "tcp"}, {Type: "tcp", CheckRestart: &CheckRestart{Limit: 5}}},
		}}}},
	}}}
	j.Canonicalize()
	tg, task := j.TaskGroups[0], j.TaskGroups[0].Tasks[0]
	got := []any{
		j.Region, j.Namespace, j.Type, j.Priority, j.Name, j.Datacenters, *j.Update,
		*tg.RestartPolicy, *tg.ReschedulePolicy, *tg.Update, *tg.EphemeralDisk,
		*task.Resources, task.KillTimeout, *task.LogConfig, *task.RestartPolicy,
		tg.Services[0].Name, tg.Services[0].AddressMode, tg.Services[0].Provider,
		task.Services[0].Name, *task.Services[0].Checks[0].CheckRestart, *task.Services[0].Checks[1].CheckRestart,
		task.Services[0].Checks[0].OnUpdate,
	}
	want := []any{
		"global", "default", "service", 50, "web", []string{"*"}, *DefaultUpdateStrategy(),
		RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
		ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true},
		UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second,
			HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute},
		EphemeralDisk{SizeMB: 300},
		Resources{CPU: 100, MemoryMB: 300}, 5 * time.Second, LogConfig{MaxFiles: 10, MaxFileSizeMB: 10},
		RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
		"web-g", "auto", "consul", "web-g-t",
		CheckRestart{Limit: 2, Grace: time.Second}, CheckRestart{Limit: 5, Grace: time.Second},
		"require_healthy",
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("value %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	if task.RestartPolicy == tg.RestartPolicy {
		t.Error("task restart policy shares the group's pointer")
	}
}

func TestCanonicalizeBatchJob(t *testing.T) {
	j := &Job{ID: "b", Type: JobTypeBatch, Update: DefaultUpdateStrategy(), TaskGroups: []*TaskGroup{{
		Name: "g", Update: DefaultUpdateStrategy(), Tasks: []*Task{{Name: "t", Driver: "raw_exec"}},
	}}}
	j.Canonicalize()
	tg := j.TaskGroups[0]
	if j.Update != nil || tg.Update != nil {
		t.Errorf("batch job kept update strategies: %+v, %+v", j.Update, tg.Update)
	}
	if want := (RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "fail"}); *tg.RestartPolicy != want {
		t.Errorf("restart = %+v, want %+v", *tg.RestartPolicy, want)
	}
	if want := (ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}); *tg.ReschedulePolicy != want {
		t.Errorf("reschedule = %+v, want %+v", *tg.ReschedulePolicy, want)
	}
}

func TestCanonicalizeKeepsValues(t *testing.T) {
	delay := 3 * time.Second
	j := &Job{
		ID: "x", Name: "named", Region: "eu", Namespace: "ns", Priority: 10, Datacenters: []string{"a"},
		Update:      &UpdateStrategy{MaxParallel: 4},
		Reschedule:  &ReschedulePolicy{Attempts: 9},
		Constraints: []*Constraint{{LTarget: "${attr.a}", RTarget: "b"}, {Operand: "distinct_hosts"}},
		Spreads:     []*Spread{{Attribute: "${node.datacenter}"}, {Attribute: "x", Weight: 10}},
		TaskGroups: []*TaskGroup{{
			Name: "g", Count: 0, ShutdownDelay: &delay,
			RestartPolicy: &RestartPolicy{Attempts: 0, Interval: time.Minute},
			Networks:      []*NetworkResource{{Mode: "bridge"}},
			Tasks: []*Task{{
				Name: "t", Resources: &Resources{Cores: 2}, KillTimeout: time.Minute,
				LogConfig: &LogConfig{MaxFiles: 1, MaxFileSizeMB: 1},
			}},
		}},
	}
	j.Canonicalize()
	tg, task := j.TaskGroups[0], j.TaskGroups[0].Tasks[0]
	got := []any{j.Name, j.Region, j.Namespace, j.Priority, j.Datacenters, j.Update.MaxParallel, j.Update.HealthCheck,
		tg.Update.MaxParallel, *tg.ReschedulePolicy, tg.Count, *tg.RestartPolicy, tg.Networks[0].Mode,
		*task.Resources, task.KillTimeout, *task.LogConfig, j.Constraints[0].Operand, j.Constraints[1].Operand,
		j.Spreads[0].Weight, j.Spreads[1].Weight, *tg.ShutdownDelay}
	want := []any{"named", "eu", "ns", 10, []string{"a"}, 4, "checks",
		4, ReschedulePolicy{Attempts: 9, DelayFunction: "exponential"}, 0,
		RestartPolicy{Interval: time.Minute, Mode: "fail"}, "bridge",
		Resources{Cores: 2, MemoryMB: 300}, time.Minute, LogConfig{MaxFiles: 1, MaxFileSizeMB: 1}, "=", "distinct_hosts",
		int8(50), int8(10), 3 * time.Second}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("value %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}

func TestCanonicalizeIsIdempotent(t *testing.T) {
	once := testJob()
	twice := once.Copy()
	twice.Canonicalize()
	if !reflect.DeepEqual(once, twice) {
		t.Error("a second Canonicalize changed the job")
	}
	var nilJob *Job
	nilJob.Canonicalize()
}

func TestDefaultPolicyConstructorsReturnFreshValues(t *testing.T) {
	a, b := DefaultRestartPolicy(JobTypeService), DefaultRestartPolicy(JobTypeService)
	a.Attempts = 99
	if b.Attempts == 99 {
		t.Error("DefaultRestartPolicy returns shared values")
	}
	if got := DefaultReschedulePolicy("unknown"); got.DelayFunction != "exponential" {
		t.Errorf("reschedule for unknown type = %+v, want the service policy", got)
	}
	if r := DefaultResources(); r.CPU != 100 || r.MemoryMB != 300 {
		t.Errorf("DefaultResources = %+v", r)
	}
	if l := DefaultLogConfig(); l.MaxFiles != 10 || l.MaxFileSizeMB != 10 {
		t.Errorf("DefaultLogConfig = %+v", l)
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	j := testJob()
	b.ReportAllocs()
	for b.Loop() {
		c := j.Copy()
		c.Canonicalize()
	}
}
