package structs

import (
	"fmt"
	"time"
)

// Job-level defaults, as Nomad applies them.
const (
	DefaultRegion    = "global"
	DefaultNamespace = "default"
	DefaultPriority  = 50
	// DefaultEphemeralDiskMB is the scratch disk of a group without an
	// ephemeral_disk block.
	DefaultEphemeralDiskMB = 300
	// DefaultKillTimeout is how long a task has to stop after its signal.
	DefaultKillTimeout = 5 * time.Second
	// DefaultCheckRestartGrace is the grace of a check_restart block that
	// sets none.
	DefaultCheckRestartGrace = time.Second
	// DefaultSpreadWeight is the weight of a spread block that sets none.
	DefaultSpreadWeight = 50
	// DefaultNetworkMode is the mode of a network block that sets none.
	DefaultNetworkMode = "host"
	// DefaultAddressMode is the address mode of a service that sets none.
	DefaultAddressMode = "auto"
	// DefaultServiceProvider is the provider of a service that sets none.
	DefaultServiceProvider = "consul"
	// DefaultOnUpdate is what a service's checks do during an update when
	// it sets nothing: the deployment waits for them to pass.
	DefaultOnUpdate = "require_healthy"
	// DefaultHealthCheck is the update health check that sets none.
	DefaultHealthCheck = "checks"
)

// DefaultRestartPolicy returns the restart policy Nomad gives a group of a
// job of jobType that has no restart block.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	if jobType == JobTypeBatch {
		return &RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
	}
	return &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
}

// DefaultReschedulePolicy returns the reschedule policy Nomad gives a group
// of a job of jobType that has no reschedule block.
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	if jobType == JobTypeBatch {
		return &ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}
	}
	return &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}
}

// DefaultUpdateStrategy returns the update strategy of a service job that
// has no update block.
func DefaultUpdateStrategy() *UpdateStrategy {
	return &UpdateStrategy{
		Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: DefaultHealthCheck,
		MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute,
		ProgressDeadline: 10 * time.Minute,
	}
}

// DefaultLogConfig returns the log limits of a task without a logs block.
func DefaultLogConfig() *LogConfig {
	return &LogConfig{MaxFiles: 10, MaxFileSizeMB: 10}
}

// DefaultResources returns the resources of a task without a resources
// block.
func DefaultResources() *Resources {
	return &Resources{CPU: 100, MemoryMB: 300}
}

// DefaultEphemeralDisk returns the ephemeral disk of a group without an
// ephemeral_disk block.
func DefaultEphemeralDisk() *EphemeralDisk {
	return &EphemeralDisk{SizeMB: DefaultEphemeralDiskMB}
}

// Canonicalize fills Nomad's defaults into every zero or nil field that has
// one. It never overwrites a value that was set, except that batch jobs lose
// their update strategies (Nomad does not roll batch jobs). For nested
// policies that are present, only fields whose zero value is invalid are
// filled (restart mode, reschedule delay function, update health check and
// healthy deadline...), since zero is meaningful elsewhere (attempts = 0).
// It is safe to call more than once.
func (j *Job) Canonicalize() {
	if j == nil {
		return
	}
	setDefault(&j.Region, DefaultRegion)
	setDefault(&j.Namespace, DefaultNamespace)
	setDefault(&j.Type, JobTypeService)
	setDefault(&j.Name, j.ID)
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	j.canonicalizeUpdate()
	canonicalizeReschedule(j.Reschedule, j.Type)
	canonicalizeConstraints(j.Constraints)
	canonicalizeSpreads(j.Spreads)
	for _, tg := range j.TaskGroups {
		if tg != nil {
			tg.canonicalize(j)
		}
	}
}

// canonicalizeUpdate gives service jobs an update strategy and removes it
// from batch jobs.
func (j *Job) canonicalizeUpdate() {
	if j.Type == JobTypeBatch {
		j.Update = nil
		return
	}
	if j.Update == nil {
		j.Update = DefaultUpdateStrategy()
		return
	}
	fillUpdate(j.Update, DefaultUpdateStrategy())
}

// canonicalize fills a group's defaults, inheriting the job's update
// strategy and reschedule policy where the group sets none.
func (tg *TaskGroup) canonicalize(j *Job) {
	switch {
	case j.Type == JobTypeBatch:
		tg.Update = nil
	case tg.Update == nil:
		tg.Update = copyUpdate(j.Update)
	default:
		fillUpdate(tg.Update, j.Update)
	}
	tg.canonicalizeMigrate(j)
	if tg.RestartPolicy == nil {
		tg.RestartPolicy = DefaultRestartPolicy(j.Type)
	}
	setDefault(&tg.RestartPolicy.Mode, RestartPolicyModeFail)
	if tg.ReschedulePolicy == nil {
		if j.Reschedule != nil {
			tg.ReschedulePolicy = copyReschedule(j.Reschedule)
		} else {
			tg.ReschedulePolicy = DefaultReschedulePolicy(j.Type)
		}
	}
	canonicalizeReschedule(tg.ReschedulePolicy, j.Type)
	if tg.EphemeralDisk == nil {
		tg.EphemeralDisk = DefaultEphemeralDisk()
	}
	for _, n := range tg.Networks {
		if n != nil {
			setDefault(&n.Mode, DefaultNetworkMode)
		}
	}
	canonicalizeConstraints(tg.Constraints)
	canonicalizeSpreads(tg.Spreads)
	canonicalizeServices(tg.Services, fmt.Sprintf("%s-%s", j.Name, tg.Name))
	for _, t := range tg.Tasks {
		if t != nil {
			t.canonicalize(j, tg)
		}
	}
}

// canonicalize fills a task's defaults; its restart policy inherits the
// group's when it has none.
func (t *Task) canonicalize(j *Job, tg *TaskGroup) {
	if t.Resources == nil {
		t.Resources = DefaultResources()
	}
	if t.Resources.CPU == 0 && t.Resources.Cores == 0 {
		t.Resources.CPU = DefaultResources().CPU
	}
	if t.Resources.MemoryMB == 0 {
		t.Resources.MemoryMB = DefaultResources().MemoryMB
	}
	for _, n := range t.Resources.Networks {
		if n != nil {
			setDefault(&n.Mode, DefaultNetworkMode)
		}
	}
	if t.KillTimeout == 0 {
		t.KillTimeout = DefaultKillTimeout
	}
	if t.LogConfig == nil {
		t.LogConfig = DefaultLogConfig()
	}
	if t.RestartPolicy == nil {
		t.RestartPolicy = copyRestart(tg.RestartPolicy)
	}
	setDefault(&t.RestartPolicy.Mode, tg.RestartPolicy.Mode)
	canonicalizeConstraints(t.Constraints)
	canonicalizeServices(t.Services, fmt.Sprintf("%s-%s-%s", j.Name, tg.Name, t.Name))
}

// canonicalizeServices names unnamed services and fills address mode,
// provider, on_update and the checks' restart and on_update settings.
func canonicalizeServices(svcs []*Service, defaultName string) {
	for _, s := range svcs {
		if s == nil {
			continue
		}
		setDefault(&s.Name, defaultName)
		setDefault(&s.AddressMode, DefaultAddressMode)
		setDefault(&s.Provider, DefaultServiceProvider)
		setDefault(&s.OnUpdate, DefaultOnUpdate)
		if s.CheckRestart != nil && s.CheckRestart.Grace == 0 {
			s.CheckRestart.Grace = DefaultCheckRestartGrace
		}
		for _, c := range s.Checks {
			if c == nil {
				continue
			}
			if c.CheckRestart == nil && s.CheckRestart != nil {
				cr := *s.CheckRestart
				c.CheckRestart = &cr
			}
			setDefault(&c.OnUpdate, s.OnUpdate)
			if c.CheckRestart != nil && c.CheckRestart.Grace == 0 {
				c.CheckRestart.Grace = DefaultCheckRestartGrace
			}
		}
	}
}

// canonicalizeReschedule fills the delay function of a present policy.
func canonicalizeReschedule(p *ReschedulePolicy, jobType string) {
	if p == nil {
		return
	}
	setDefault(&p.DelayFunction, DefaultReschedulePolicy(jobType).DelayFunction)
}

// fillUpdate fills the fields of u whose zero value is invalid from base.
func fillUpdate(u, base *UpdateStrategy) {
	if base == nil {
		base = DefaultUpdateStrategy()
	}
	setDefault(&u.HealthCheck, base.HealthCheck)
	if u.HealthyDeadline == 0 {
		u.HealthyDeadline = base.HealthyDeadline
	}
	if u.Stagger == 0 {
		u.Stagger = base.Stagger
	}
}

func canonicalizeConstraints(cs []*Constraint) {
	for _, c := range cs {
		if c != nil {
			setDefault(&c.Operand, "=")
		}
	}
}

func canonicalizeSpreads(ss []*Spread) {
	for _, s := range ss {
		if s != nil && s.Weight == 0 {
			s.Weight = DefaultSpreadWeight
		}
	}
}

// setDefault sets *s to def when it is empty.
func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}
