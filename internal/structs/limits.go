package structs

import "fmt"

// JobLimits bounds what one submitted job may ask for, so that no job can
// make the scheduler, the store or a server's memory do unbounded work.
// A zero field means its default (DefaultJobLimits).
type JobLimits struct {
	// MaxCount bounds a group's count, and the sum of the counts of all
	// groups of a job (the allocations the job may have).
	MaxCount int
	// MaxGroups bounds the number of task groups of a job.
	MaxGroups int
	// MaxGroupTasks bounds the number of tasks of one group.
	MaxGroupTasks int
	// MaxTasks bounds the number of tasks of a job, over all groups.
	MaxTasks int
	// MaxMetaBytes bounds the size (keys plus values) of one meta or env
	// map: the job's, a group's, a task's or a service's.
	MaxMetaBytes int
}

// Default job limits. Each is far above what a job written by hand or
// generated for a real cluster needs; see docs/security.md.
const (
	DefaultMaxCount      = 10_000
	DefaultMaxGroups     = 200
	DefaultMaxGroupTasks = 100
	DefaultMaxTasks      = 1_000
	DefaultMaxMetaBytes  = 64 << 10
)

// MaxNameBytes bounds job IDs and names and the names of groups, tasks,
// services and port labels: they become store keys, directory names and
// DNS labels.
const MaxNameBytes = 256

// DefaultJobLimits returns the limits a server uses unless configured.
func DefaultJobLimits() JobLimits {
	return JobLimits{MaxCount: DefaultMaxCount, MaxGroups: DefaultMaxGroups,
		MaxGroupTasks: DefaultMaxGroupTasks, MaxTasks: DefaultMaxTasks, MaxMetaBytes: DefaultMaxMetaBytes}
}

// WithDefaults returns l with every zero or negative field set to its
// default.
func (l JobLimits) WithDefaults() JobLimits {
	d := DefaultJobLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxCount, &d.MaxCount}, {&l.MaxGroups, &d.MaxGroups}, {&l.MaxGroupTasks, &d.MaxGroupTasks},
		{&l.MaxTasks, &d.MaxTasks}, {&l.MaxMetaBytes, &d.MaxMetaBytes},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// LimitError is a job over one of the JobLimits. It lists every limit the
// job exceeds, each naming the field, the value and the limit.
type LimitError struct {
	Problems []*ValidationProblem
}

// Error prints one problem per line.
func (e *LimitError) Error() string {
	return (&ValidationError{Problems: e.Problems}).Error()
}

// CheckLimits reports whether j stays within l (zero fields meaning the
// defaults). It returns a *LimitError listing each limit exceeded, or nil.
// It looks only at sizes and counts and runs in time linear in the job,
// so it is safe to call before Canonicalize and Validate on any decoded
// job.
func (j *Job) CheckLimits(l JobLimits) error {
	if j == nil {
		return nil
	}
	l = l.WithDefaults()
	lc := &limitChecker{l: l}
	lc.job(j)
	if len(lc.problems) == 0 {
		return nil
	}
	return &LimitError{Problems: lc.problems}
}

type limitChecker struct {
	l        JobLimits
	problems []*ValidationProblem
}

// maxProblems stops a hostile job from producing an error as large as
// itself.
const maxProblems = 20

func (c *limitChecker) add(field, limitName string, value, limit int, what string) {
	if len(c.problems) >= maxProblems {
		return
	}
	c.problems = append(c.problems, &ValidationProblem{Field: field,
		Message: fmt.Sprintf("%s %d is over the limit of %d", what, value, limit),
		Hint:    "limits." + limitName + " in the server's agent configuration"})
}

func (c *limitChecker) job(j *Job) {
	c.name("ID", j.ID)
	c.name("Name", j.Name)
	c.meta("Meta", j.Meta)
	if n := len(j.TaskGroups); n > c.l.MaxGroups {
		c.add("TaskGroups", "job_max_groups", n, c.l.MaxGroups, "number of task groups")
	}
	total, tasks := 0, 0
	for i, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		path := fmt.Sprintf("TaskGroups[%d]", i)
		c.group(path, tg)
		if tg.Count > 0 {
			total += min(tg.Count, c.l.MaxCount+1)
		}
		tasks += len(tg.Tasks)
	}
	if total > c.l.MaxCount && len(j.TaskGroups) > 1 {
		c.add("TaskGroups", "job_max_count", total, c.l.MaxCount, "sum of the groups' counts")
	}
	if tasks > c.l.MaxTasks {
		c.add("TaskGroups", "job_max_tasks", tasks, c.l.MaxTasks, "number of tasks in the job")
	}
}

func (c *limitChecker) group(path string, tg *TaskGroup) {
	c.name(path+".Name", tg.Name)
	if tg.Count > c.l.MaxCount {
		c.add(path+".Count", "job_max_count", tg.Count, c.l.MaxCount, "count")
	}
	if n := len(tg.Tasks); n > c.l.MaxGroupTasks {
		c.add(path+".Tasks", "job_max_group_tasks", n, c.l.MaxGroupTasks, "number of tasks in the group")
	}
	c.meta(path+".Meta", tg.Meta)
	c.services(path, tg.Services)
	c.networks(path+".Networks", tg.Networks)
	for i, t := range tg.Tasks {
		if t == nil {
			continue
		}
		tpath := fmt.Sprintf("%s.Tasks[%d]", path, i)
		c.name(tpath+".Name", t.Name)
		c.meta(tpath+".Meta", t.Meta)
		c.meta(tpath+".Env", t.Env)
		c.services(tpath, t.Services)
		if t.Resources != nil {
			c.networks(tpath+".Resources.Networks", t.Resources.Networks)
		}
	}
}

func (c *limitChecker) name(field, s string) {
	if len(s) > MaxNameBytes && len(c.problems) < maxProblems {
		c.problems = append(c.problems, &ValidationProblem{Field: field,
			Message: fmt.Sprintf("length %d bytes is over the limit of %d", len(s), MaxNameBytes)})
	}
}

func (c *limitChecker) meta(field string, m map[string]string) {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	if n > c.l.MaxMetaBytes {
		c.add(field, "meta_max_bytes", n, c.l.MaxMetaBytes, "size in bytes")
	}
}

func (c *limitChecker) services(path string, svcs []*Service) {
	for i, s := range svcs {
		if s != nil {
			spath := fmt.Sprintf("%s.Services[%d]", path, i)
			c.name(spath+".Name", s.Name)
			c.meta(spath+".Meta", s.Meta)
		}
	}
}

// networks bounds port labels: they become environment variable names
// and service references.
func (c *limitChecker) networks(path string, nets []*NetworkResource) {
	for i, n := range nets {
		if n == nil {
			continue
		}
		for j, p := range n.ReservedPorts {
			c.name(fmt.Sprintf("%s[%d].ReservedPorts[%d].Label", path, i, j), p.Label)
		}
		for j, p := range n.DynamicPorts {
			c.name(fmt.Sprintf("%s[%d].DynamicPorts[%d].Label", path, i, j), p.Label)
		}
	}
}
