package scheduler

import (
	"maps"
	"reflect"
	"slices"

	"github.com/wharf-project/wharf/internal/structs"
)

// groupChange is how much a task group changed between two job versions.
type groupChange uint8

// Group changes, from least to most disruptive.
const (
	// changeInPlace: nothing the allocation runs changed (count, job meta,
	// update/reschedule/restart policies, services and checks).
	changeInPlace groupChange = iota
	// changePlacement: placement rules (datacenters, pool, constraints)
	// changed; the update is in place when the node still satisfies them.
	changePlacement
	// changeDestructive: tasks, their config, env or resources, the group
	// network or disk changed: the allocation must be replaced.
	changeDestructive
)

// changeKey caches a comparison per old job version and group.
type changeKey struct {
	version uint64
	group   string
}

// inPlaceOK reports whether an allocation of an older version can be
// updated in place to the current one.
func (r *reconciler) inPlaceOK(tg *structs.TaskGroup, a *structs.Allocation) bool {
	switch r.change(tg, a) {
	case changeInPlace:
		return true
	case changePlacement:
		return r.stillFeasible(tg, a.NodeID)
	}
	return false
}

// change compares the allocation's job version of the group with the
// current one; an unknown old version counts as destructive.
func (r *reconciler) change(tg *structs.TaskGroup, a *structs.Allocation) groupChange {
	key := changeKey{version: a.JobVersion, group: tg.Name}
	if ch, ok := r.changes[key]; ok {
		return ch
	}
	ch := changeDestructive
	if old := r.oldJob(a); old != nil {
		if otg := old.LookupTaskGroup(tg.Name); otg != nil {
			ch = compareGroups(old, otg, r.c.job, tg)
		}
	}
	if r.changes == nil {
		r.changes = map[changeKey]groupChange{}
	}
	r.changes[key] = ch
	return ch
}

// oldJob finds the job version an allocation was placed from: the job it
// carries, or the store's copy when the State offers versions.
func (r *reconciler) oldJob(a *structs.Allocation) *structs.Job {
	if a.Job != nil && a.Job.Version == a.JobVersion {
		return a.Job
	}
	if j, ok := r.oldJobs[a.JobVersion]; ok {
		return j
	}
	var j *structs.Job
	if vs, ok := r.c.st.(JobVersionState); ok {
		j = vs.JobVersion(r.c.eval.Namespace, r.c.eval.JobID, a.JobVersion)
	}
	if r.oldJobs == nil {
		r.oldJobs = map[uint64]*structs.Job{}
	}
	r.oldJobs[a.JobVersion] = j
	return j
}

// stillFeasible reports whether the node still satisfies the current
// job's datacenters, pool, drivers and constraints (readiness aside).
func (r *reconciler) stillFeasible(tg *structs.TaskGroup, nodeID string) bool {
	n := r.c.node(nodeID)
	if r.filter == nil {
		r.filter = newNodeFilter(r.c.job)
	}
	if n == nil || !r.filter.inScope(n) {
		return false
	}
	if r.checkers == nil {
		r.checkers = map[string]*groupChecker{}
	}
	g := r.checkers[tg.Name]
	if g == nil {
		g = newGroupChecker(r.c.job, tg)
		r.checkers[tg.Name] = g
	}
	ok, _ := g.check(n)
	return ok
}

// compareGroups classifies the change of a group between two versions.
func compareGroups(oldJob *structs.Job, oldTG *structs.TaskGroup, job *structs.Job, tg *structs.TaskGroup) groupChange {
	if groupDestructive(oldTG, tg) {
		return changeDestructive
	}
	if placementChanged(oldJob, oldTG, job, tg) {
		return changePlacement
	}
	return changeInPlace
}

// groupDestructive reports whether what a group's allocations run changed.
func groupDestructive(a, b *structs.TaskGroup) bool {
	if len(a.Tasks) != len(b.Tasks) || !maps.Equal(a.Meta, b.Meta) ||
		!reflect.DeepEqual(a.EphemeralDisk, b.EphemeralDisk) || !networksEqual(a.Networks, b.Networks) {
		return true
	}
	for _, at := range a.Tasks {
		bt := b.LookupTask(at.Name)
		if bt == nil || taskDestructive(at, bt) {
			return true
		}
	}
	return false
}

// taskDestructive reports whether a task changed in a way that needs a
// restart: driver, user, config, env, meta, resources, logs, kill settings.
func taskDestructive(a, b *structs.Task) bool {
	return a.Driver != b.Driver || a.User != b.User || a.KillTimeout != b.KillTimeout ||
		a.KillSignal != b.KillSignal || a.Leader != b.Leader ||
		!maps.Equal(a.Env, b.Env) || !maps.Equal(a.Meta, b.Meta) ||
		!valueEqual(a.Config, b.Config) || !resourcesEqual(a.Resources, b.Resources) ||
		!reflect.DeepEqual(a.LogConfig, b.LogConfig)
}

// resourcesEqual compares task resources.
func resourcesEqual(a, b *structs.Resources) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.CPU == b.CPU && a.Cores == b.Cores && a.MemoryMB == b.MemoryMB &&
		a.MemoryMaxMB == b.MemoryMaxMB && a.DiskMB == b.DiskMB && networksEqual(a.Networks, b.Networks)
}

// networksEqual compares network requests, treating nil and empty lists
// alike.
func networksEqual(a, b []*structs.NetworkResource) bool {
	return slices.EqualFunc(a, b, func(x, y *structs.NetworkResource) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Mode == y.Mode && x.Device == y.Device && x.CIDR == y.CIDR && x.MBits == y.MBits &&
			x.Hostname == y.Hostname && slices.Equal(x.ReservedPorts, y.ReservedPorts) &&
			slices.Equal(x.DynamicPorts, y.DynamicPorts)
	})
}

// placementChanged reports whether datacenters, pool or constraints
// changed.
func placementChanged(oldJob *structs.Job, oldTG *structs.TaskGroup, job *structs.Job, tg *structs.TaskGroup) bool {
	if !slices.Equal(oldJob.Datacenters, job.Datacenters) || oldJob.NodePool != job.NodePool ||
		!constraintsEqual(oldJob.Constraints, job.Constraints) || !constraintsEqual(oldTG.Constraints, tg.Constraints) {
		return true
	}
	for _, t := range tg.Tasks {
		if ot := oldTG.LookupTask(t.Name); ot == nil || !constraintsEqual(ot.Constraints, t.Constraints) {
			return true
		}
	}
	return false
}

// constraintsEqual compares constraint lists by value.
func constraintsEqual(a, b []*structs.Constraint) bool {
	return slices.EqualFunc(a, b, func(x, y *structs.Constraint) bool {
		if x == nil || y == nil {
			return x == y
		}
		return *x == *y
	})
}

// valueEqual compares decoded config values, treating numbers of any Go
// type as equal when their values are (JSON gives float64, HCL may not).
func valueEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !valueEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, valueEqual)
	}
	return reflect.DeepEqual(a, b)
}

// toFloat converts any Go number to float64.
func toFloat(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}
