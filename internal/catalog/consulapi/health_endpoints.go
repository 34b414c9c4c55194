package consulapi

import (
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/structs"
)

// healthService answers GET /v1/health/service/:name (?passing, ?tag=
// repeated): instances with their node and checks; with ?passing only
// those whose every check, the node's included, passes.
func (s *Server) healthService(r *http.Request, v *catalog.View) (any, error) {
	passing, err := boolParam(r, "passing")
	if err != nil {
		return nil, err
	}
	if err := noFilter(r); err != nil {
		return nil, err
	}
	ins := v.Instances(r.PathValue("name"), r.URL.Query()["tag"], passing)
	out := make([]*serviceEntry, 0, len(ins))
	for _, in := range ins {
		out = append(out, toServiceEntry(in))
	}
	return out, nil
}

// healthChecks answers GET /v1/health/checks/:service: the service's own
// checks.
func (s *Server) healthChecks(r *http.Request, v *catalog.View) (any, error) {
	if err := noFilter(r); err != nil {
		return nil, err
	}
	out := []*healthCheck{}
	for _, in := range v.Instances(r.PathValue("name"), nil, false) {
		out = append(out, serviceChecks(in)...)
	}
	return out, nil
}

// healthState answers GET /v1/health/state/:state (any, passing, warning,
// critical): every check, nodes' included, in that state (of the
// services the token reads).
func (s *Server) healthState(r *http.Request, v *catalog.View) (any, error) {
	state := strings.ToLower(r.PathValue("state"))
	switch state {
	case "any", structs.HealthPassing, structs.HealthWarning, structs.HealthCritical:
	default:
		return nil, errorf(http.StatusBadRequest, "Invalid state %q: use any, passing, warning or critical", r.PathValue("state"))
	}
	if err := noFilter(r); err != nil {
		return nil, err
	}
	out := []*healthCheck{}
	keep := func(c *healthCheck) {
		if state == "any" || c.Status == state {
			out = append(out, c)
		}
	}
	for _, n := range v.Nodes() {
		keep(nodeCheck(n))
	}
	may := readable(r)
	for _, in := range v.All() {
		if !may(in.Reg.ServiceName) {
			continue
		}
		for _, c := range serviceChecks(in) {
			keep(c)
		}
	}
	return out, nil
}

// healthNode answers GET /v1/health/node/:node: the node's check and its
// services' checks (of the services the token reads).
func (s *Server) healthNode(r *http.Request, v *catalog.View) (any, error) {
	out := []*healthCheck{}
	n := v.NodeByName(r.PathValue("node"))
	if n == nil {
		return out, nil
	}
	out = append(out, nodeCheck(n))
	may := readable(r)
	for _, in := range v.InstancesOnNode(n) {
		if may(in.Reg.ServiceName) {
			out = append(out, serviceChecks(in)...)
		}
	}
	return out, nil
}
