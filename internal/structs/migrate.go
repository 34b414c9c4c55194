package structs

import "time"

// MigrateStrategy says how a group's allocations leave a draining node
// (Nomad's migrate block): at most MaxParallel of them are on their way
// at once, and a replacement counts as settled once it has run healthy
// for MinHealthyTime, or HealthyDeadline passed without that.
type MigrateStrategy struct {
	MaxParallel     int
	HealthCheck     string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

// Migrate health checks.
const (
	MigrateHealthChecks     = "checks"
	MigrateHealthTaskStates = "task_states"
)

// DefaultMigrateStrategy returns the migrate block Nomad gives a service
// group without one.
func DefaultMigrateStrategy() *MigrateStrategy {
	return &MigrateStrategy{
		MaxParallel: 1, HealthCheck: MigrateHealthChecks,
		MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute,
	}
}

// Copy returns a copy of the strategy, or nil.
func (m *MigrateStrategy) Copy() *MigrateStrategy {
	if m == nil {
		return nil
	}
	c := *m
	return &c
}

// canonicalizeMigrate gives service groups a migrate strategy (the job's
// when the group has none, else Nomad's default) and fills its unset
// health check; batch groups have none, as they are not migrated before a
// drain's deadline.
func (tg *TaskGroup) canonicalizeMigrate(j *Job) {
	if j.Type == JobTypeBatch {
		tg.Migrate = nil
		return
	}
	if tg.Migrate == nil {
		tg.Migrate = j.Migrate.Copy()
	}
	if tg.Migrate == nil {
		tg.Migrate = DefaultMigrateStrategy()
	}
	setDefault(&tg.Migrate.HealthCheck, MigrateHealthChecks)
	if tg.Migrate.HealthyDeadline == 0 {
		tg.Migrate.HealthyDeadline = DefaultMigrateStrategy().HealthyDeadline
	}
}

// migrate checks a migrate strategy (Nomad's rules).
func (v *validator) migrate(path string, m *MigrateStrategy) {
	switch m.HealthCheck {
	case MigrateHealthChecks, MigrateHealthTaskStates:
	default:
		v.add(path+".HealthCheck", `use "checks" or "task_states"`, "unknown migrate health check %q", m.HealthCheck)
	}
	if m.MaxParallel < 0 {
		v.add(path+".MaxParallel", "", "max_parallel %d must not be negative", m.MaxParallel)
	}
	v.tooBig(path+".MaxParallel", int64(m.MaxParallel), MaxAttempts, "")
	v.durations(path, map[string]time.Duration{"MinHealthyTime": m.MinHealthyTime, "HealthyDeadline": m.HealthyDeadline})
	if m.MinHealthyTime < 0 {
		v.add(path+".MinHealthyTime", "", "min_healthy_time must not be negative")
	}
	if m.HealthyDeadline <= 0 {
		v.add(path+".HealthyDeadline", "", "healthy_deadline must be positive")
	} else if m.MinHealthyTime >= m.HealthyDeadline {
		v.add(path+".MinHealthyTime", "", "min_healthy_time %s must be below healthy_deadline %s", m.MinHealthyTime, m.HealthyDeadline)
	}
}
