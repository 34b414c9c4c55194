package structs

import (
	"slices"
	"time"
)

// Upper bounds of numeric job fields. They sit far above any real value
// and far enough below the integer limits that the scheduler's and the
// client's arithmetic (sums over thousands of allocations, MB to bytes,
// doubling delays) cannot overflow.
const (
	// MaxResourceMB bounds memory, memory_max, disk and ephemeral_disk
	// (4 PiB).
	MaxResourceMB = 1 << 32
	// MaxCPU bounds a task's cpu in MHz.
	MaxCPU = 1 << 32
	// MaxCores bounds a task's cores.
	MaxCores = 1 << 16
	// MaxDuration bounds every duration of a job (restart, reschedule and
	// update timings, timeouts, check intervals): 10 years.
	MaxDuration = 10 * 365 * 24 * time.Hour
	// MaxAttempts bounds restart and reschedule attempts, max_parallel,
	// canary, check_restart limits and check thresholds.
	MaxAttempts = 1_000_000
	// MaxLogFiles bounds log max_files; MaxLogFileSizeMB bounds
	// max_file_size (1 TiB).
	MaxLogFiles      = 10_000
	MaxLogFileSizeMB = 1 << 20
)

// tooBig adds a problem when value is above limit.
func (v *validator) tooBig(field string, value, limit int64, unit string) {
	if value > limit {
		v.add(field, "", "%d%s is over the maximum of %d%s", value, unit, limit, unit)
	}
}

// durations adds a problem for each duration above MaxDuration.
func (v *validator) durations(path string, ds map[string]time.Duration) {
	for _, name := range sortedNames(ds) {
		if d := ds[name]; d > MaxDuration {
			v.add(path+"."+name, "", "duration %s is over the maximum of %s", d, MaxDuration)
		}
	}
}

func sortedNames(ds map[string]time.Duration) []string {
	out := make([]string, 0, len(ds))
	for k := range ds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (v *validator) resourceBounds(rpath string, r *Resources) {
	v.tooBig(rpath+".CPU", int64(r.CPU), MaxCPU, " MHz")
	v.tooBig(rpath+".Cores", int64(r.Cores), MaxCores, "")
	v.tooBig(rpath+".MemoryMB", int64(r.MemoryMB), MaxResourceMB, " MB")
	v.tooBig(rpath+".MemoryMaxMB", int64(r.MemoryMaxMB), MaxResourceMB, " MB")
	v.tooBig(rpath+".DiskMB", int64(r.DiskMB), MaxResourceMB, " MB")
}

func (v *validator) taskBounds(path string, t *Task) {
	v.durations(path, map[string]time.Duration{"KillTimeout": t.KillTimeout, "ShutdownDelay": t.ShutdownDelay})
	if lc := t.LogConfig; lc != nil {
		v.tooBig(path+".LogConfig.MaxFiles", int64(lc.MaxFiles), MaxLogFiles, "")
		v.tooBig(path+".LogConfig.MaxFileSizeMB", int64(lc.MaxFileSizeMB), MaxLogFileSizeMB, " MB")
	}
}

func (v *validator) groupBounds(path string, tg *TaskGroup) {
	if tg.EphemeralDisk != nil {
		v.tooBig(path+".EphemeralDisk.SizeMB", int64(tg.EphemeralDisk.SizeMB), MaxResourceMB, " MB")
	}
	if tg.ShutdownDelay != nil {
		v.durations(path, map[string]time.Duration{"ShutdownDelay": *tg.ShutdownDelay})
	}
}

func (v *validator) restartBounds(path string, p *RestartPolicy) {
	v.tooBig(path+".Attempts", int64(p.Attempts), MaxAttempts, "")
	v.durations(path, map[string]time.Duration{"Delay": p.Delay, "Interval": p.Interval})
}

func (v *validator) rescheduleBounds(path string, p *ReschedulePolicy) {
	v.tooBig(path+".Attempts", int64(p.Attempts), MaxAttempts, "")
	v.durations(path, map[string]time.Duration{"Delay": p.Delay, "Interval": p.Interval, "MaxDelay": p.MaxDelay})
}

func (v *validator) updateBounds(path string, u *UpdateStrategy) {
	v.tooBig(path+".MaxParallel", int64(u.MaxParallel), MaxAttempts, "")
	v.tooBig(path+".Canary", int64(u.Canary), MaxAttempts, "")
	v.durations(path, map[string]time.Duration{"Stagger": u.Stagger, "MinHealthyTime": u.MinHealthyTime,
		"HealthyDeadline": u.HealthyDeadline, "ProgressDeadline": u.ProgressDeadline})
}

func (v *validator) checkBounds(p string, c *ServiceCheck) {
	v.durations(p, map[string]time.Duration{"Interval": c.Interval, "Timeout": c.Timeout})
	v.tooBig(p+".SuccessBeforePassing", int64(c.SuccessBeforePassing), MaxAttempts, "")
	v.tooBig(p+".FailuresBeforeCritical", int64(c.FailuresBeforeCritical), MaxAttempts, "")
}

func (v *validator) checkRestartBounds(p string, cr *CheckRestart) {
	v.tooBig(p+".Limit", int64(cr.Limit), MaxAttempts, "")
	v.durations(p, map[string]time.Duration{"Grace": cr.Grace})
}

// restartsFit reports whether attempts restarts with delay fit in
// interval, without overflowing attempts × delay.
func restartsFit(attempts int, delay, interval time.Duration) bool {
	if attempts <= 0 || delay <= 0 {
		return true
	}
	return int64(interval/delay) >= int64(attempts)
}
