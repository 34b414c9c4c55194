package structs

import "sort"

// Health states of checks and service instances, as Consul's.
const (
	HealthPassing  = "passing"
	HealthWarning  = "warning"
	HealthCritical = "critical"
)

// ServiceRegistration is one instance of a service in the catalog. The
// fields Nomad's API has keep its JSON names (ID, ServiceName, Namespace,
// NodeID, Datacenter, JobID, AllocID, Tags, Address, Port, CreateIndex,
// ModifyIndex); Task, Meta and Checks are wharf's.
type ServiceRegistration struct {
	// ID is unique in the catalog: for a task's service
	// "_wharf-task-<allocID>-<task>-<service>-<port label>" (Nomad's
	// scheme with its prefix), for one registered through the Consul
	// agent API the ID given there (its name when none).
	ID          string
	ServiceName string
	Namespace   string
	NodeID      string
	Datacenter  string
	JobID       string
	AllocID     string
	// Task is the task the instance belongs to ("" for a group service or
	// an external one).
	Task    string `json:",omitempty"`
	Tags    []string
	Address string
	Port    int
	Meta    map[string]string `json:",omitempty"`
	// Checks are the instance's checks with their latest result. An
	// instance with checks is critical until they pass; one without is
	// passing.
	Checks []*CheckStatus `json:",omitempty"`

	CreateIndex uint64
	ModifyIndex uint64
}

// CheckStatus is one check of a service instance and its latest result.
type CheckStatus struct {
	// ID is unique within the instance (the check's name when set).
	ID   string
	Name string
	// Type is tcp, http, script, or ttl for external services.
	Type string
	// Status is passing, warning or critical.
	Status string
	// Output is what the check said last (an HTTP status line, a
	// connection error, a script's output), capped at 4 KiB.
	Output string `json:",omitempty"`
	// Interval and Timeout as Go durations (e.g. "5s"), for display.
	Interval string `json:",omitempty"`
	Timeout  string `json:",omitempty"`
}

// Health is the instance's aggregate status: critical when any check is
// critical (or has an unknown status), warning when any is warning, else
// passing.
func (r *ServiceRegistration) Health() string {
	worst := HealthPassing
	for _, c := range r.Checks {
		switch c.Status {
		case HealthCritical:
			return HealthCritical
		case HealthWarning:
			worst = HealthWarning
		case HealthPassing:
		default:
			return HealthCritical
		}
	}
	return worst
}

// Copy returns a deep copy.
func (r *ServiceRegistration) Copy() *ServiceRegistration {
	if r == nil {
		return nil
	}
	c := *r
	c.Tags = append([]string(nil), r.Tags...)
	if r.Meta != nil {
		c.Meta = make(map[string]string, len(r.Meta))
		for k, v := range r.Meta {
			c.Meta[k] = v
		}
	}
	if r.Checks != nil {
		c.Checks = make([]*CheckStatus, len(r.Checks))
		for i, ch := range r.Checks {
			cc := *ch
			c.Checks[i] = &cc
		}
	}
	return &c
}

// SameContent reports whether r and o describe the same instance in the
// same state, ignoring the indexes: a client writes a registration only
// when this is false.
func (r *ServiceRegistration) SameContent(o *ServiceRegistration) bool {
	if r == nil || o == nil {
		return r == o
	}
	if r.ID != o.ID || r.ServiceName != o.ServiceName || r.Namespace != o.Namespace || r.NodeID != o.NodeID ||
		r.Datacenter != o.Datacenter || r.JobID != o.JobID || r.AllocID != o.AllocID || r.Task != o.Task ||
		r.Address != o.Address || r.Port != o.Port {
		return false
	}
	if !equalStrings(r.Tags, o.Tags) || len(r.Meta) != len(o.Meta) || len(r.Checks) != len(o.Checks) {
		return false
	}
	for k, v := range r.Meta {
		if ov, ok := o.Meta[k]; !ok || ov != v {
			return false
		}
	}
	for i := range r.Checks {
		if *r.Checks[i] != *o.Checks[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ServiceRegistrationStub is one service of Nomad's GET /v1/services: its
// name and the union of its instances' tags.
type ServiceRegistrationStub struct {
	ServiceName string
	Tags        []string
}

// ServiceRegistrationListStub is Nomad's GET /v1/services entry: the
// services of one namespace.
type ServiceRegistrationListStub struct {
	Namespace string
	Services  []*ServiceRegistrationStub
}

// ServiceStubs groups registrations by namespace and service name, sorted,
// with each service's tags merged and sorted.
func ServiceStubs(regs []*ServiceRegistration) []*ServiceRegistrationListStub {
	byNS := map[string]map[string]map[string]bool{}
	for _, r := range regs {
		if byNS[r.Namespace] == nil {
			byNS[r.Namespace] = map[string]map[string]bool{}
		}
		tags := byNS[r.Namespace][r.ServiceName]
		if tags == nil {
			tags = map[string]bool{}
			byNS[r.Namespace][r.ServiceName] = tags
		}
		for _, t := range r.Tags {
			tags[t] = true
		}
	}
	out := make([]*ServiceRegistrationListStub, 0, len(byNS))
	for ns, services := range byNS {
		l := &ServiceRegistrationListStub{Namespace: ns}
		for name, tags := range services {
			s := &ServiceRegistrationStub{ServiceName: name, Tags: []string{}}
			for t := range tags {
				s.Tags = append(s.Tags, t)
			}
			sort.Strings(s.Tags)
			l.Services = append(l.Services, s)
		}
		sort.Slice(l.Services, func(i, j int) bool { return l.Services[i].ServiceName < l.Services[j].ServiceName })
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

// ServiceRegisterRequest is the body of wharf's PUT /v1/services/register:
// registrations a client (or the Consul-shaped agent API) creates or
// replaces.
type ServiceRegisterRequest struct {
	Services []*ServiceRegistration
}

// ServiceDeregisterRequest is the body of wharf's PUT
// /v1/services/deregister: registration IDs to remove.
type ServiceDeregisterRequest struct {
	IDs []string
}
