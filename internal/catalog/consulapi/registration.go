package consulapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/structs"
)

// maxOutput caps a check's output, as the catalog's checks.
const maxOutput = 4096

// toRegistration validates an agent registration and turns it into the
// store's form; errors are 400s naming the field.
func (s *Server) toRegistration(in *serviceRegistration) (*structs.ServiceRegistration, error) {
	if err := validateService(in); err != nil {
		return nil, err
	}
	id := in.ID
	if id == "" {
		id = in.Name
	}
	reg := &structs.ServiceRegistration{ID: id, ServiceName: in.Name, Namespace: "default", NodeID: s.localNode(),
		Datacenter: s.cfg.Datacenter, Tags: in.Tags, Address: in.Address, Port: in.Port, Meta: in.Meta}
	checks := allChecks(in)
	seen := map[string]bool{}
	for i, c := range checks {
		cs, err := toCheck(in, id, c, i, len(checks))
		if err != nil {
			return nil, err
		}
		if seen[cs.ID] {
			return nil, errorf(http.StatusBadRequest, "%s.CheckID: %q is used twice", checkField(in, i), cs.ID)
		}
		seen[cs.ID] = true
		reg.Checks = append(reg.Checks, cs)
	}
	return reg, nil
}

// maxServiceChecks bounds the checks of one service registration: a
// 1 MiB body holds 80,000 TTL checks, each with its own timer, and a few
// such registrations took the agent to 1.6 GB and a full core, with
// re-registrations comparing every check with every other.
const maxServiceChecks = 100

func validateService(in *serviceRegistration) error {
	switch {
	case strings.TrimSpace(in.Name) == "":
		return errorf(http.StatusBadRequest, "Missing service name (field Name)")
	case len(allChecks(in)) > maxServiceChecks:
		return errorf(http.StatusBadRequest, "Checks: %d checks are over the limit of %d for one service", len(allChecks(in)), maxServiceChecks)
	case len(structs.CheckServiceLabels("Tags", in.Tags, in.Meta)) > 0:
		l := structs.CheckServiceLabels("Tags", in.Tags, in.Meta)[0]
		return errorf(http.StatusBadRequest, "%s: %s", l.Field, l.Msg)
	case in.Kind != "":
		return errorf(http.StatusBadRequest, "Kind: %q services are not supported by wharf", in.Kind)
	case in.Proxy != nil || in.Connect != nil:
		return errorf(http.StatusBadRequest, "Connect/Proxy: service mesh registrations are not supported by wharf")
	case in.Port < 0 || in.Port > 65535:
		return errorf(http.StatusBadRequest, "Port: %d is not a port (0-65535)", in.Port)
	case strings.HasPrefix(in.ID, TaskIDPrefix) || (in.ID == "" && strings.HasPrefix(in.Name, TaskIDPrefix)):
		return errorf(http.StatusBadRequest, "ID: the prefix %q is reserved for the services of wharf's tasks", TaskIDPrefix)
	case strings.ContainsAny(in.ID, "/?#"):
		return errorf(http.StatusBadRequest, "ID: %q may not contain '/', '?' or '#'", in.ID)
	}
	return nil
}

// allChecks lists Check then Checks, skipping nulls.
func allChecks(in *serviceRegistration) []*serviceCheck {
	var out []*serviceCheck
	if in.Check != nil {
		out = append(out, in.Check)
	}
	for _, c := range in.Checks {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// checkField names check i in error messages.
func checkField(in *serviceRegistration, i int) string {
	if in.Check != nil {
		if i == 0 {
			return "Check"
		}
		i--
	}
	return fmt.Sprintf("Checks[%d]", i)
}

// checkID is a check's ID: the given one, else "service:<id>" (with
// ":<n>" when the service has several checks), as Consul's.
func checkID(in *serviceRegistration, serviceID string, c *serviceCheck, i, n int) string {
	if c.CheckID != "" {
		return c.CheckID
	}
	if n == 1 {
		return "service:" + serviceID
	}
	return fmt.Sprintf("service:%s:%d", serviceID, i+1)
}

// toCheck accepts a TTL check; checks wharf would have to run for a
// service it does not run are refused.
func toCheck(in *serviceRegistration, serviceID string, c *serviceCheck, i, n int) (*structs.CheckStatus, error) {
	field := checkField(in, i)
	for _, f := range []struct{ name, v string }{{"HTTP", c.HTTP}, {"TCP", c.TCP}, {"UDP", c.UDP}, {"GRPC", c.GRPC},
		{"H2PING", c.H2PING}, {"DockerContainerID", c.DockerContainerID}, {"AliasNode", c.AliasNode},
		{"AliasService", c.AliasService}, {"ScriptArgs", strings.Join(c.ScriptArgs, " ")}} {
		if f.v != "" {
			return nil, errorf(http.StatusBadRequest, "%s.%s: wharf runs checks only for its own tasks; give services registered through the agent API a TTL check", field, f.name)
		}
	}
	if c.TTL == "" {
		return nil, errorf(http.StatusBadRequest, "%s.TTL: required (the only check type of the agent API)", field)
	}
	ttl, err := time.ParseDuration(c.TTL)
	if err != nil || ttl <= 0 {
		return nil, errorf(http.StatusBadRequest, "%s.TTL: %q is not a positive duration", field, c.TTL)
	}
	status := structs.HealthCritical
	if c.Status != "" {
		if !validStatus(c.Status) {
			return nil, errorf(http.StatusBadRequest, "%s.Status: %q is not passing, warning or critical", field, c.Status)
		}
		status = c.Status
	}
	name := c.Name
	if name == "" {
		name = fmt.Sprintf("Service '%s' check", in.Name)
	}
	return &structs.CheckStatus{ID: checkID(in, serviceID, c, i, n), Name: name, Type: "ttl", Status: status,
		Output: httpapi.CutUTF8(c.Notes, maxOutput), Interval: ttl.String()}, nil
}

func validStatus(s string) bool {
	return s == structs.HealthPassing || s == structs.HealthWarning || s == structs.HealthCritical
}
