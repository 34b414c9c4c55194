package tmpl

import (
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/wharf-project/wharf/internal/structs"
)

// Service is one entry of the services function: a service of the catalog
// and the union of its instances' tags.
type Service struct {
	Name      string
	Namespace string
	Tags      []string
}

// Instance is one entry of the service function: an instance of a service
// with its aggregate health (passing, warning or critical).
type Instance struct {
	ID         string
	Name       string
	Namespace  string
	Address    string
	Port       int
	Tags       []string
	Meta       map[string]string
	Node       string
	Datacenter string
	JobID      string
	AllocID    string
	Health     string
	Checks     []*structs.CheckStatus
}

// funcMap returns the functions templates can call; the catalog ones read
// through s.
func funcMap(s *store) template.FuncMap {
	return template.FuncMap{
		"services":   s.services,
		"service":    s.service,
		"nodes":      s.nodes,
		"byTag":      byTag,
		"contains":   contains,
		"env":        os.Getenv,
		"join":       join,
		"replaceAll": replaceAll,
		"sortBy":     sortBy,
		"split":      split,
		"toLower":    strings.ToLower,
		"toUpper":    strings.ToUpper,
		"trimSpace":  strings.TrimSpace,
	}
}

// services lists the catalog's services, sorted by namespace and name.
func (s *store) services() ([]*Service, error) {
	v, err := s.get(depKey{kind: kindServices})
	if err != nil {
		return nil, err
	}
	var out []*Service
	for _, ns := range v.([]*structs.ServiceRegistrationListStub) {
		for _, svc := range ns.Services {
			out = append(out, &Service{Name: svc.ServiceName, Namespace: ns.Namespace, Tags: svc.Tags})
		}
	}
	return out, nil
}

// service lists the instances of the service query q ("[tag.]name[|any]"
// or "[tag.]name|passing,warning"), passing ones only by default.
func (s *store) service(q string) ([]*Instance, error) {
	sq, err := parseServiceQuery(q)
	if err != nil {
		return nil, err
	}
	v, err := s.get(depKey{kind: kindService, name: sq.name})
	if err != nil {
		return nil, err
	}
	var out []*Instance
	for _, r := range v.([]*structs.ServiceRegistration) {
		if in := newInstance(r); sq.matches(in) {
			out = append(out, in)
		}
	}
	return out, nil
}

// nodes lists the cluster's client nodes.
func (s *store) nodes() ([]*structs.NodeListStub, error) {
	v, err := s.get(depKey{kind: kindNodes})
	if err != nil {
		return nil, err
	}
	return v.([]*structs.NodeListStub), nil
}

func newInstance(r *structs.ServiceRegistration) *Instance {
	return &Instance{ID: r.ID, Name: r.ServiceName, Namespace: r.Namespace, Address: r.Address,
		Port: r.Port, Tags: r.Tags, Meta: r.Meta, Node: r.NodeID, Datacenter: r.Datacenter,
		JobID: r.JobID, AllocID: r.AllocID, Health: r.Health(), Checks: r.Checks}
}

// serviceQuery is a parsed argument of the service function.
type serviceQuery struct {
	name   string
	tag    string
	states map[string]bool // nil: any state
}

// parseServiceQuery reads "[tag.]name[|states]"; the tag is everything
// before the last dot (service names have none), states is "any" or a
// comma-separated list of passing, warning and critical.
func parseServiceQuery(q string) (serviceQuery, error) {
	spec, states, hasStates := strings.Cut(q, "|")
	var sq serviceQuery
	if i := strings.LastIndex(spec, "."); i >= 0 {
		sq.tag, sq.name = spec[:i], spec[i+1:]
	} else {
		sq.name = spec
	}
	if sq.name == "" || (sq.tag == "" && strings.Contains(spec, ".")) {
		return serviceQuery{}, fmt.Errorf("service %q: want [tag.]name[|any|passing,warning,critical]", q)
	}
	if !hasStates {
		states = structs.HealthPassing
	}
	if states == "any" {
		return sq, nil
	}
	sq.states = map[string]bool{}
	for _, st := range strings.Split(states, ",") {
		switch st = strings.TrimSpace(st); st {
		case structs.HealthPassing, structs.HealthWarning, structs.HealthCritical:
			sq.states[st] = true
		default:
			return serviceQuery{}, fmt.Errorf("service %q: unknown health state %q (want any, passing, warning or critical)", q, st)
		}
	}
	return sq, nil
}

func (sq serviceQuery) matches(in *Instance) bool {
	if sq.states != nil && !sq.states[in.Health] {
		return false
	}
	return sq.tag == "" || contains(sq.tag, in.Tags)
}
