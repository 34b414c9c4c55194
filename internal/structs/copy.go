package structs

import (
	"maps"
	"reflect"
	"slices"
	"time"
)

// Copy returns a deep copy of the job: changing the copy, down to the task
// config maps, never changes j.
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	c := *j
	c.Datacenters = slices.Clone(j.Datacenters)
	c.Constraints = copyConstraints(j.Constraints)
	c.Affinities = copyAffinities(j.Affinities)
	c.Spreads = copySpreads(j.Spreads)
	c.Update = copyUpdate(j.Update)
	c.Reschedule = copyReschedule(j.Reschedule)
	c.Migrate = j.Migrate.Copy()
	c.Meta = maps.Clone(j.Meta)
	if j.TaskGroups != nil {
		c.TaskGroups = make([]*TaskGroup, len(j.TaskGroups))
		for i, tg := range j.TaskGroups {
			c.TaskGroups[i] = tg.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the task group.
func (tg *TaskGroup) Copy() *TaskGroup {
	if tg == nil {
		return nil
	}
	c := *tg
	c.Constraints = copyConstraints(tg.Constraints)
	c.Affinities = copyAffinities(tg.Affinities)
	c.Spreads = copySpreads(tg.Spreads)
	c.RestartPolicy = copyRestart(tg.RestartPolicy)
	c.ReschedulePolicy = copyReschedule(tg.ReschedulePolicy)
	c.EphemeralDisk = copyPtr(tg.EphemeralDisk)
	c.Update = copyUpdate(tg.Update)
	c.Migrate = tg.Migrate.Copy()
	c.Networks = copyNetworks(tg.Networks)
	c.Meta = maps.Clone(tg.Meta)
	c.Services = copyServices(tg.Services)
	c.ShutdownDelay = copyPtr(tg.ShutdownDelay)
	if tg.Tasks != nil {
		c.Tasks = make([]*Task, len(tg.Tasks))
		for i, t := range tg.Tasks {
			c.Tasks[i] = t.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the task.
func (t *Task) Copy() *Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Config = copyConfigMap(t.Config)
	c.Constraints = copyConstraints(t.Constraints)
	c.Affinities = copyAffinities(t.Affinities)
	c.Env = maps.Clone(t.Env)
	c.Services = copyServices(t.Services)
	c.Resources = t.Resources.Copy()
	c.RestartPolicy = copyRestart(t.RestartPolicy)
	c.Meta = maps.Clone(t.Meta)
	c.LogConfig = copyPtr(t.LogConfig)
	return &c
}

// Copy returns a deep copy of the resources.
func (r *Resources) Copy() *Resources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyNetworks(r.Networks)
	return &c
}

// Copy returns a deep copy of the network resource.
func (n *NetworkResource) Copy() *NetworkResource {
	if n == nil {
		return nil
	}
	c := *n
	c.ReservedPorts = slices.Clone(n.ReservedPorts)
	c.DynamicPorts = slices.Clone(n.DynamicPorts)
	return &c
}

// Copy returns a deep copy of the service and its checks.
func (s *Service) Copy() *Service {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = slices.Clone(s.Tags)
	c.CanaryTags = slices.Clone(s.CanaryTags)
	c.CheckRestart = copyPtr(s.CheckRestart)
	c.Meta = maps.Clone(s.Meta)
	if s.Checks != nil {
		c.Checks = make([]*ServiceCheck, len(s.Checks))
		for i, chk := range s.Checks {
			c.Checks[i] = chk.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the check.
func (sc *ServiceCheck) Copy() *ServiceCheck {
	if sc == nil {
		return nil
	}
	c := *sc
	c.Args = slices.Clone(sc.Args)
	c.CheckRestart = copyPtr(sc.CheckRestart)
	if sc.Header != nil {
		c.Header = make(map[string][]string, len(sc.Header))
		for k, v := range sc.Header {
			c.Header[k] = slices.Clone(v)
		}
	}
	return &c
}

// Copy returns a copy of the policy, or nil.
func (p *RestartPolicy) Copy() *RestartPolicy { return copyPtr(p) }

// Copy returns a copy of the policy, or nil.
func (p *ReschedulePolicy) Copy() *ReschedulePolicy { return copyPtr(p) }

// Copy returns a copy of the strategy, or nil.
func (u *UpdateStrategy) Copy() *UpdateStrategy { return copyPtr(u) }

func copyRestart(p *RestartPolicy) *RestartPolicy          { return p.Copy() }
func copyReschedule(p *ReschedulePolicy) *ReschedulePolicy { return p.Copy() }
func copyUpdate(u *UpdateStrategy) *UpdateStrategy         { return u.Copy() }

// copyPtr copies the value behind a pointer to a struct without pointers,
// maps or slices.
func copyPtr[T LogConfig | EphemeralDisk | RestartPolicy | ReschedulePolicy | UpdateStrategy | CheckRestart | time.Duration](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func copyConstraints(cs []*Constraint) []*Constraint {
	return copyEach(cs, func(c Constraint) Constraint { return c })
}

func copyAffinities(as []*Affinity) []*Affinity {
	return copyEach(as, func(a Affinity) Affinity { return a })
}

func copySpreads(ss []*Spread) []*Spread {
	return copyEach(ss, func(s Spread) Spread {
		s.SpreadTarget = copyEach(s.SpreadTarget, func(t SpreadTarget) SpreadTarget { return t })
		return s
	})
}

func copyNetworks(ns []*NetworkResource) []*NetworkResource {
	if ns == nil {
		return nil
	}
	out := make([]*NetworkResource, len(ns))
	for i, n := range ns {
		out[i] = n.Copy()
	}
	return out
}

func copyServices(ss []*Service) []*Service {
	if ss == nil {
		return nil
	}
	out := make([]*Service, len(ss))
	for i, s := range ss {
		out[i] = s.Copy()
	}
	return out
}

// copyEach copies a slice of pointers, copying each element with deep
// (which receives a shallow copy of the element).
func copyEach[T any](in []*T, deep func(T) T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, p := range in {
		if p != nil {
			v := deep(*p)
			out[i] = &v
		}
	}
	return out
}

// copyConfigMap deep-copies a task config: nested maps and lists are copied,
// scalars shared.
func copyConfigMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyConfigValue(v)
	}
	return out
}

func copyConfigValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyConfigMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyConfigValue(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = copyConfigMap(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	case map[string]string:
		return maps.Clone(x)
	}
	return v
}

// serverSetJobFields are the Job fields the servers own; SpecChanged and
// DiffJobs ignore them.
var serverSetJobFields = map[string]bool{
	"ParentID": true, "Status": true, "StatusDescription": true, "Stable": true,
	"Version": true, "SubmitTime": true, "CreateIndex": true, "ModifyIndex": true,
	"JobModifyIndex": true,
}

// SpecChanged reports whether other differs from j in anything a user
// specifies (Stop included), ignoring server-set fields (version, status,
// indexes, submit time). Nil and empty maps and lists are equal. The store
// bumps a job's version only when this is true.
func (j *Job) SpecChanged(other *Job) bool {
	if j == nil || other == nil {
		return j != other
	}
	a, b := reflect.ValueOf(j).Elem(), reflect.ValueOf(other).Elem()
	t := a.Type()
	for i := range t.NumField() {
		if serverSetJobFields[t.Field(i).Name] {
			continue
		}
		if !specEqual(a.Field(i), b.Field(i)) {
			return true
		}
	}
	return false
}

// specEqual is reflect.DeepEqual with nil and empty maps and slices equal.
func specEqual(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return specEqual(a.Elem(), b.Elem())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		ae, be := a.Elem(), b.Elem()
		if af, ok := number(ae); ok {
			bf, ok := number(be)
			return ok && af == bf
		}
		if ae.Type() != be.Type() {
			return false
		}
		return specEqual(ae, be)
	case reflect.Struct:
		for i := range a.NumField() {
			if !specEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !specEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !specEqual(it.Value(), bv) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

// number returns v as a float64 when it holds a number, so that a config
// value 80 read from a job file equals the 80.0 read back from JSON.
func number(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}
