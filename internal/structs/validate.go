package structs

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// ValidationProblem is one thing wrong with a job: the field it concerns, as
// a path such as TaskGroups["group1"].Tasks["www1"].Driver, what is wrong
// and, where one helps, how to fix it.
type ValidationProblem struct {
	Field   string
	Message string
	Hint    string `json:",omitempty"`
}

// String formats the problem as "field: message (hint)".
func (p *ValidationProblem) String() string {
	s := p.Message
	if p.Field != "" {
		s = p.Field + ": " + s
	}
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}

// ValidationError lists every problem Validate found, in the order of the
// job's fields.
type ValidationError struct {
	Problems []*ValidationProblem
}

// Error prints one problem per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// MaxValidationProblems bounds the problems Validate lists: a job body
// of a few megabytes may hold a million invalid items, and one line each
// made an answer of tens of megabytes and hundreds of megabytes of
// memory. The rest are counted in a last problem.
const MaxValidationProblems = 100

// validator collects problems.
type validator struct {
	problems []*ValidationProblem
	more     int // problems found beyond MaxValidationProblems
}

func (v *validator) add(field, hint, format string, args ...any) {
	if len(v.problems) >= MaxValidationProblems {
		v.more++
		return
	}
	v.problems = append(v.problems, &ValidationProblem{Field: field, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Validate checks a canonicalized job and returns a *ValidationError that
// lists every problem, or nil. It checks what wharf needs to run the job
// and refuses Nomad features wharf does not implement.
func (j *Job) Validate() error {
	if j == nil {
		return &ValidationError{Problems: []*ValidationProblem{{Message: "missing job"}}}
	}
	v := &validator{}
	v.job(j)
	if len(v.problems) == 0 {
		return nil
	}
	if v.more > 0 {
		v.problems = append(v.problems, &ValidationProblem{Message: fmt.Sprintf("and %d more problems", v.more)})
	}
	return &ValidationError{Problems: v.problems}
}

func (v *validator) job(j *Job) {
	v.jobID(j)
	if j.Name == "" {
		v.add("Name", "", "missing job name")
	}
	switch j.Type {
	case JobTypeService, JobTypeBatch:
	case "system", "sysbatch":
		v.add("Type", `use type = "service" with a count per group, or a spread on ${node.unique.id}`,
			"job type %q is not supported by wharf", j.Type)
	default:
		v.add("Type", `use "service" or "batch"`, "unknown job type %q", j.Type)
	}
	if j.Priority < 1 || j.Priority > 100 {
		v.add("Priority", "", "priority %d is out of range: it must be between 1 and 100", j.Priority)
	}
	if len(j.Datacenters) == 0 {
		v.add("Datacenters", `list at least one datacenter, or "*" for all`, "missing datacenters")
	}
	for i, dc := range j.Datacenters {
		if dc == "" {
			v.add(fmt.Sprintf("Datacenters[%d]", i), "", "empty datacenter name")
		}
	}
	v.constraints("Constraints", j.Constraints)
	v.affinities("Affinities", j.Affinities)
	v.spreads("Spreads", j.Spreads)
	if j.Update != nil {
		v.update("Update", j.Update)
	}
	if j.Reschedule != nil {
		v.reschedule("Reschedule", j.Reschedule)
	}
	v.groups(j)
}

func (v *validator) jobID(j *Job) {
	switch {
	case j.ID == "":
		v.add("ID", "", "missing job ID")
	case strings.ContainsAny(j.ID, " \t\n"):
		v.add("ID", "", "job ID %q contains a space", j.ID)
	case strings.ContainsRune(j.ID, 0):
		v.add("ID", "", "job ID contains a null character")
	}
}

func (v *validator) groups(j *Job) {
	if len(j.TaskGroups) == 0 {
		v.add("TaskGroups", `add a group "name" { ... } block`, "job has no task groups")
		return
	}
	seen := map[string]bool{}
	for i, tg := range j.TaskGroups {
		if tg == nil {
			v.add(fmt.Sprintf("TaskGroups[%d]", i), "", "missing task group")
			continue
		}
		path := fmt.Sprintf("TaskGroups[%q]", tg.Name)
		switch {
		case tg.Name == "":
			v.add(fmt.Sprintf("TaskGroups[%d].Name", i), "", "missing task group name")
		case seen[tg.Name]:
			v.add(path, "", "duplicate task group %q", tg.Name)
		}
		seen[tg.Name] = true
		v.group(path, j, tg)
	}
}

func (v *validator) group(path string, j *Job, tg *TaskGroup) {
	if tg.Count < 0 {
		v.add(path+".Count", "", "count %d must not be negative", tg.Count)
	}
	v.constraints(path+".Constraints", tg.Constraints)
	v.affinities(path+".Affinities", tg.Affinities)
	v.spreads(path+".Spreads", tg.Spreads)
	if tg.RestartPolicy != nil {
		v.restart(path+".RestartPolicy", tg.RestartPolicy)
	}
	if tg.ReschedulePolicy != nil && !specEqualPtr(tg.ReschedulePolicy, j.Reschedule) {
		v.reschedule(path+".ReschedulePolicy", tg.ReschedulePolicy)
	}
	if tg.Update != nil && !specEqualPtr(tg.Update, j.Update) {
		v.update(path+".Update", tg.Update)
	}
	if tg.Migrate != nil {
		v.migrate(path+".Migrate", tg.Migrate)
	}
	if tg.EphemeralDisk != nil && tg.EphemeralDisk.SizeMB < 10 {
		v.add(path+".EphemeralDisk.SizeMB", "", "ephemeral disk size %d MB is below the minimum of 10 MB", tg.EphemeralDisk.SizeMB)
	}
	v.groupBounds(path, tg)
	if tg.ShutdownDelay != nil && *tg.ShutdownDelay < 0 {
		v.add(path+".ShutdownDelay", "", "shutdown delay must not be negative")
	}
	if len(tg.Networks) > 1 {
		v.add(path+".Networks", "declare all ports in one network block", "a group may have only one network block, it has %d", len(tg.Networks))
	}
	ports := newPortSet()
	for i, n := range tg.Networks {
		v.network(fmt.Sprintf("%s.Networks[%d]", path, i), n, ports)
	}
	v.tasks(path, tg, ports)
	v.services(path+".Services", tg.Services, ports, true)
}

func (v *validator) tasks(path string, tg *TaskGroup, groupPorts *portSet) {
	if len(tg.Tasks) == 0 {
		v.add(path+".Tasks", `add a task "name" { driver = "..." } block`, "group %q has no tasks", tg.Name)
		return
	}
	seen, leaders := map[string]bool{}, 0
	taskPorts := make([]*portSet, len(tg.Tasks))
	for i, t := range tg.Tasks {
		if t == nil {
			v.add(fmt.Sprintf("%s.Tasks[%d]", path, i), "", "missing task")
			continue
		}
		tpath := fmt.Sprintf("%s.Tasks[%q]", path, t.Name)
		switch {
		case t.Name == "":
			v.add(fmt.Sprintf("%s.Tasks[%d].Name", path, i), "", "missing task name")
		case seen[t.Name]:
			v.add(tpath, "", "duplicate task %q", t.Name)
		case strings.ContainsAny(t.Name, "/\x00"):
			v.add(tpath+".Name", "", "task name %q must not contain a slash or a null character", t.Name)
		}
		seen[t.Name] = true
		if t.Leader {
			leaders++
		}
		taskPorts[i] = groupPorts.child()
		v.taskResources(tpath, t, taskPorts[i])
	}
	if leaders > 1 {
		v.add(path+".Tasks", "", "only one task may be the leader, %d are", leaders)
	}
	for i, t := range tg.Tasks {
		if t != nil {
			v.task(fmt.Sprintf("%s.Tasks[%q]", path, t.Name), tg, t, taskPorts[i])
		}
	}
}

func (v *validator) task(path string, tg *TaskGroup, t *Task, ports *portSet) {
	if t.Driver == "" {
		v.add(path+".Driver", `set driver = "pot" or driver = "raw_exec"`, "missing driver")
	}
	if t.KillTimeout < 0 {
		v.add(path+".KillTimeout", "", "kill timeout must not be negative")
	}
	if t.ShutdownDelay < 0 {
		v.add(path+".ShutdownDelay", "", "shutdown delay must not be negative")
	}
	v.taskBounds(path, t)
	v.constraints(path+".Constraints", t.Constraints)
	v.affinities(path+".Affinities", t.Affinities)
	if t.RestartPolicy != nil && !specEqualPtr(t.RestartPolicy, tg.RestartPolicy) {
		v.restart(path+".RestartPolicy", t.RestartPolicy)
	}
	if lc := t.LogConfig; lc != nil {
		if lc.MaxFiles < 1 {
			v.add(path+".LogConfig.MaxFiles", "", "max_files %d must be at least 1", lc.MaxFiles)
		}
		if lc.MaxFileSizeMB < 1 {
			v.add(path+".LogConfig.MaxFileSizeMB", "", "max_file_size %d must be at least 1 MB", lc.MaxFileSizeMB)
		}
	}
	v.services(path+".Services", t.Services, ports, false)
}

func (v *validator) taskResources(path string, t *Task, ports *portSet) {
	r := t.Resources
	if r == nil {
		v.add(path+".Resources", "", "missing resources")
		return
	}
	rpath := path + ".Resources"
	v.resourceBounds(rpath, r)
	switch {
	case r.Cores < 0:
		v.add(rpath+".Cores", "", "cores %d must not be negative", r.Cores)
	case r.Cores > 0 && r.CPU > 0:
		v.add(rpath+".Cores", "", "set cpu or cores, not both")
	case r.Cores == 0 && r.CPU < 1:
		v.add(rpath+".CPU", "", "cpu %d MHz is below the minimum of 1", r.CPU)
	}
	if r.MemoryMB < 10 {
		v.add(rpath+".MemoryMB", "", "memory %d MB is below the minimum of 10 MB", r.MemoryMB)
	}
	if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
		v.add(rpath+".MemoryMaxMB", "", "memory_max %d MB is below memory %d MB", r.MemoryMaxMB, r.MemoryMB)
	}
	if r.DiskMB < 0 {
		v.add(rpath+".DiskMB", "", "disk must not be negative")
	}
	for i, n := range r.Networks {
		v.network(fmt.Sprintf("%s.Networks[%d]", rpath, i), n, ports)
	}
}

// restart checks a restart policy.
func (v *validator) restart(path string, p *RestartPolicy) {
	switch p.Mode {
	case RestartPolicyModeFail, RestartPolicyModeDelay:
	default:
		v.add(path+".Mode", `use "fail" or "delay"`, "unknown restart mode %q", p.Mode)
	}
	if p.Attempts < 0 {
		v.add(path+".Attempts", "", "attempts %d must not be negative", p.Attempts)
	}
	if p.Delay < 0 || p.Interval < 0 {
		v.add(path, "", "delay and interval must not be negative")
	}
	v.restartBounds(path, p)
	if !restartsFit(p.Attempts, p.Delay, p.Interval) {
		v.add(path+".Interval", "make interval at least attempts × delay",
			"%d restarts with a delay of %s cannot fit in an interval of %s", p.Attempts, p.Delay, p.Interval)
	}
}

// reschedule checks a reschedule policy.
func (v *validator) reschedule(path string, p *ReschedulePolicy) {
	switch p.DelayFunction {
	case "constant", "exponential", "fibonacci":
	default:
		v.add(path+".DelayFunction", `use "constant", "exponential" or "fibonacci"`, "unknown delay function %q", p.DelayFunction)
	}
	if p.Attempts < 0 {
		v.add(path+".Attempts", "", "attempts %d must not be negative", p.Attempts)
	}
	v.rescheduleBounds(path, p)
	if p.Delay < 0 || p.Interval < 0 || p.MaxDelay < 0 {
		v.add(path, "", "delay, max_delay and interval must not be negative")
	}
	if p.DelayFunction != "constant" && p.MaxDelay > 0 && p.MaxDelay < p.Delay {
		v.add(path+".MaxDelay", "", "max_delay %s is below delay %s", p.MaxDelay, p.Delay)
	}
	if !p.Unlimited && p.Attempts > 0 && p.Interval <= 0 {
		v.add(path+".Interval", `set interval, or unlimited = true`, "a limited number of attempts needs an interval")
	}
}

// update checks an update strategy.
func (v *validator) update(path string, u *UpdateStrategy) {
	switch u.HealthCheck {
	case "checks", "task_states", "manual":
	default:
		v.add(path+".HealthCheck", `use "checks", "task_states" or "manual"`, "unknown health check %q", u.HealthCheck)
	}
	if u.MaxParallel < 0 {
		v.add(path+".MaxParallel", "", "max_parallel %d must not be negative", u.MaxParallel)
	}
	if u.Canary < 0 {
		v.add(path+".Canary", "", "canary %d must not be negative", u.Canary)
	}
	v.updateBounds(path, u)
	if u.Stagger < 0 || u.MinHealthyTime < 0 || u.ProgressDeadline < 0 {
		v.add(path, "", "stagger, min_healthy_time and progress_deadline must not be negative")
	}
	if u.HealthyDeadline <= 0 {
		v.add(path+".HealthyDeadline", "", "healthy_deadline must be positive")
	} else if u.MinHealthyTime >= u.HealthyDeadline {
		v.add(path+".MinHealthyTime", "", "min_healthy_time %s must be below healthy_deadline %s", u.MinHealthyTime, u.HealthyDeadline)
	}
	if u.ProgressDeadline != 0 && u.ProgressDeadline < u.HealthyDeadline {
		v.add(path+".ProgressDeadline", "", "progress_deadline %s must be 0 or at least healthy_deadline %s", u.ProgressDeadline, u.HealthyDeadline)
	}
}

// constraintOperands are the operands wharf's scheduler evaluates.
var constraintOperands = map[string]bool{
	"=": true, "==": true, "is": true, "!=": true, "not": true, "<": true, "<=": true, ">": true, ">=": true,
	ConstraintRegex: true, ConstraintVersion: true, ConstraintSemver: true,
	ConstraintSetContains: true, ConstraintSetContainsAll: true, ConstraintSetContainsAny: true,
	ConstraintDistinctHosts: true, ConstraintDistinctProperty: true,
	ConstraintAttributeIsSet: true, ConstraintAttributeNotSet: true,
}

func (v *validator) constraints(path string, cs []*Constraint) {
	for i, c := range cs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if c == nil {
			v.add(p, "", "missing constraint")
			continue
		}
		v.constraint(p, c)
	}
}

func (v *validator) constraint(p string, c *Constraint) {
	if !constraintOperands[c.Operand] {
		v.add(p+".Operand", "use =, !=, <, <=, >, >=, regexp, version, semver, set_contains, set_contains_all, set_contains_any, distinct_hosts, distinct_property, is_set or is_not_set",
			"unknown constraint operator %q", c.Operand)
		return
	}
	switch c.Operand {
	case ConstraintDistinctHosts:
		if c.RTarget != "" && c.RTarget != "true" && c.RTarget != "false" {
			v.add(p+".RTarget", "", "distinct_hosts takes true or false, not %q", c.RTarget)
		}
	case ConstraintDistinctProperty:
		if c.LTarget == "" {
			v.add(p+".LTarget", "", "distinct_property needs an attribute")
		}
		if c.RTarget != "" {
			if n, err := strconv.Atoi(c.RTarget); err != nil || n < 1 {
				v.add(p+".RTarget", "", "distinct_property limit %q must be a positive number", c.RTarget)
			}
		}
	case ConstraintAttributeIsSet, ConstraintAttributeNotSet:
		if c.LTarget == "" {
			v.add(p+".LTarget", "", "%s needs an attribute", c.Operand)
		}
	default:
		if c.LTarget == "" {
			v.add(p+".LTarget", "", "constraint needs an attribute")
		}
		if c.Operand == ConstraintRegex {
			if _, err := regexp.Compile(c.RTarget); err != nil {
				v.add(p+".RTarget", "", "invalid regular expression: %v", err)
			}
		}
	}
}

func (v *validator) affinities(path string, as []*Affinity) {
	for i := range as {
		v.add(fmt.Sprintf("%s[%d]", path, i), "use a constraint (hard) or a spread (soft) instead",
			"affinity is not supported by wharf")
	}
}

func (v *validator) spreads(path string, ss []*Spread) {
	for i, s := range ss {
		p := fmt.Sprintf("%s[%d]", path, i)
		if s == nil {
			v.add(p, "", "missing spread")
			continue
		}
		if s.Attribute == "" {
			v.add(p+".Attribute", "", "spread needs an attribute")
		}
		if s.Weight <= 0 || s.Weight > 100 {
			v.add(p+".Weight", "", "spread weight %d must be between 1 and 100", s.Weight)
		}
		sum, seen := 0, map[string]bool{}
		for _, t := range s.SpreadTarget {
			if t == nil {
				continue
			}
			if seen[t.Value] {
				v.add(p+".SpreadTarget", "", "duplicate spread target %q", t.Value)
			}
			seen[t.Value] = true
			sum += int(t.Percent)
		}
		if sum > 100 {
			v.add(p+".SpreadTarget", "", "spread target percentages add up to %d, more than 100", sum)
		}
	}
}

// specEqualPtr reports whether two policies hold equal values.
func specEqualPtr[T any](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return specEqual(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem())
}
