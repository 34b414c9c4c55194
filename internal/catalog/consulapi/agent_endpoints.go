package consulapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/jsonlimit"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// TaskIDPrefix starts the IDs of task registrations, which the agent API
// may neither create nor remove.
const TaskIDPrefix = "_wharf-task-"

// maxBody caps a registration body.
const maxBody = 1 << 20

// localNode is the node key of agent registrations.
func (s *Server) localNode() string {
	if id := s.cfg.LocalNodeID(); id != "" {
		return id
	}
	return s.cfg.NodeName
}

// localNodeName is the catalog name of the local node.
func (s *Server) localNodeName() string {
	if n := s.cfg.Store.Snapshot().Node(s.localNode()); n != nil && n.Name != "" {
		return n.Name
	}
	return s.localNode()
}

// localInstances lists the agent registrations and task registrations of
// the local node.
func (s *Server) localInstances(v *catalog.View) []*catalog.Instance {
	var out []*catalog.Instance
	for _, r := range v.Snapshot().ServiceRegistrationsByNode(s.localNode()) {
		out = append(out, &catalog.Instance{Reg: r, Node: v.NodeOf(r)})
	}
	return out
}

// agentServices answers GET /v1/agent/services: the local node's services
// by ID.
func (s *Server) agentServices(r *http.Request, v *catalog.View) (any, error) {
	out := map[string]*agentService{}
	may := readable(r)
	for _, in := range s.localInstances(v) {
		if may(in.Reg.ServiceName) {
			out[in.Reg.ID] = toAgentService(in)
		}
	}
	return out, nil
}

// agentService answers GET /v1/agent/service/:id.
func (s *Server) agentService(r *http.Request, v *catalog.View) (any, error) {
	id := r.PathValue("id")
	for _, in := range s.localInstances(v) {
		if in.Reg.ID == id {
			if !readable(r)(in.Reg.ServiceName) {
				return nil, errorf(http.StatusForbidden, "Permission denied: token lacks service %q policy \"read\"", in.Reg.ServiceName)
			}
			return toAgentService(in), nil
		}
	}
	return nil, errorf(http.StatusNotFound, "unknown service ID %q", id)
}

// agentChecks answers GET /v1/agent/checks: the local services' checks
// by check ID.
func (s *Server) agentChecks(r *http.Request, v *catalog.View) (any, error) {
	out := map[string]*healthCheck{}
	may := readable(r)
	for _, in := range s.localInstances(v) {
		if !may(in.Reg.ServiceName) {
			continue
		}
		for _, c := range serviceChecks(in) {
			out[c.CheckID] = c
		}
	}
	return out, nil
}

// agentSelf answers GET /v1/agent/self with what Consul's clients read.
func (s *Server) agentSelf(*http.Request) (any, error) {
	return map[string]any{
		"Config": map[string]any{"Datacenter": s.cfg.Datacenter, "NodeName": s.localNodeName(),
			"NodeID": s.cfg.LocalNodeID(), "Server": true, "Version": "1.20.0", "Revision": "wharf " + s.cfg.Version},
		"Member": map[string]any{"Name": s.localNodeName(), "Tags": map[string]string{"dc": s.cfg.Datacenter, "role": "consul"},
			"Status": 1},
		"Meta": map[string]string{},
	}, nil
}

// register answers PUT /v1/agent/service/register. A registration with
// the ID of an earlier agent registration of this node replaces it, as
// Consul's agent does, even under another name; an ID taken by a task or
// by another node is refused with 409.
func (s *Server) register(r *http.Request) (any, error) {
	var in serviceRegistration
	if err := s.decodeBody(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reg, err := s.toRegistration(&in)
	if err != nil {
		return nil, err
	}
	// checked is no later than what the checks below read: RecheckJoins
	// compares the jobs with it after the write.
	checked := s.cfg.Store.Snapshot()
	old := checked.ServiceRegistration(reg.ID)
	if err := s.checkOwner(old); err != nil {
		return nil, err
	}
	if err := s.mayWrite(r, reg); err != nil {
		return nil, err
	}
	if old == nil {
		if err := s.checkServiceCount(); err != nil {
			return nil, err
		}
	}
	keepCheckResults(reg, old, &in)
	seen := map[string]uint64{}
	if old != nil {
		seen[reg.ID] = old.ModifyIndex
	}
	index, err := s.cfg.Store.UpsertServiceRegistrationsIf(r.Context(), []*structs.ServiceRegistration{reg}, seen)
	if errors.Is(err, state.ErrConflict) {
		return nil, errorf(http.StatusConflict, "service ID %q changed while the registration was checked, nothing was written; retry", reg.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("store registration %s: %w", reg.ID, err)
	}
	if !s.grantedWrite(r, reg) {
		name, err := catalog.RecheckJoins(r.Context(), s.cfg.Store, checked, index, []*structs.ServiceRegistration{reg}, "")
		if err != nil {
			return nil, err
		}
		if name != "" {
			return nil, errorf(http.StatusConflict, "service %q came to belong to wharf tasks (a job declaring it was submitted) "+
				"while the registration was checked; it was removed; retry", name)
		}
	}
	s.ttl.armAll(reg)
	return nil, nil
}

// MaxAgentServices bounds the services registered through one node's
// agent API: each costs a store entry that every catalog read lists, and
// TTL timers, and nothing else bounds how many a caller adds.
const MaxAgentServices = 10_000

// checkServiceCount refuses a new agent registration once this node has
// maxServices of them; replacing one is always allowed.
func (s *Server) checkServiceCount() error {
	n, node := 0, s.localNode()
	for _, reg := range s.cfg.Store.Snapshot().ServiceRegistrationsByNode(node) {
		if reg.AllocID == "" {
			n++
		}
	}
	if n >= s.maxServices {
		return errorf(http.StatusBadRequest, "this agent already has %d services registered through the agent API, the limit; deregister some first", n)
	}
	return nil
}

// checkOwner refuses to replace a registration that is not an agent
// registration of this node.
func (s *Server) checkOwner(old *structs.ServiceRegistration) error {
	switch {
	case old == nil:
		return nil
	case old.AllocID != "":
		return errorf(http.StatusConflict, "service ID %q belongs to allocation %s (task %q); choose another ID", old.ID, old.AllocID, old.Task)
	case old.NodeID != s.localNode():
		return errorf(http.StatusConflict, "service ID %q is registered through the agent of node %s; choose another ID or deregister it there", old.ID, old.NodeID)
	}
	return nil
}

// keepCheckResults carries the status and output of checks that existed
// before over a re-registration, unless the new one sets a status.
func keepCheckResults(reg, old *structs.ServiceRegistration, in *serviceRegistration) {
	if old == nil {
		return
	}
	given := map[string]bool{}
	for i, c := range allChecks(in) {
		if c.Status != "" {
			given[checkID(in, reg.ID, c, i, len(allChecks(in)))] = true
		}
	}
	for _, c := range reg.Checks {
		for _, oc := range old.Checks {
			if oc.ID == c.ID && oc.Type == c.Type && !given[c.ID] {
				c.Status, c.Output = oc.Status, oc.Output
			}
		}
	}
}

// deregister answers PUT /v1/agent/service/deregister/:id.
func (s *Server) deregister(r *http.Request) (any, error) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cfg.Store.Snapshot().ServiceRegistration(id)
	if old == nil || old.NodeID != s.localNode() {
		return nil, errorf(http.StatusNotFound, "Unknown service ID %q", id)
	}
	if old.AllocID != "" {
		return nil, errorf(http.StatusBadRequest, "service ID %q belongs to allocation %s; stop the task instead", id, old.AllocID)
	}
	if ai := authOf(r); ai.aclsOn && !ai.acl.AllowServiceWrite(old.ServiceName) {
		return nil, errorf(http.StatusForbidden, "Permission denied: token lacks service %q policy \"write\"", old.ServiceName)
	}
	if _, err := s.cfg.Store.DeleteServiceRegistrations(r.Context(), []string{id}); err != nil {
		return nil, fmt.Errorf("delete registration %s: %w", id, err)
	}
	s.ttl.disarmAll(old)
	return nil, nil
}

// decodeBody reads JSON into dst; a bad body is a 400 naming the field,
// a body nested deeper than Config.JSONMaxDepth a 400 naming the limit.
func (s *Server) decodeBody(r *http.Request, dst any) error {
	raw, err := httpapi.ReadBody(nil, r, maxBody)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errorf(http.StatusRequestEntityTooLarge, "Request decode failed: body larger than %d bytes", maxBody)
	case err != nil:
		return errorf(http.StatusBadRequest, "Request decode failed: %v", err)
	}
	var de *jsonlimit.DepthError
	switch err := httpapi.DecodeJSON(raw, s.cfg.JSONMaxDepth, dst); {
	case errors.Is(err, httpapi.ErrEmptyBody):
		return errorf(http.StatusBadRequest, "Request decode failed: empty body")
	case errors.As(err, &de):
		return errorf(http.StatusBadRequest, "Request decode failed: %v (limits.json_max_depth)", err)
	case err != nil:
		return errorf(http.StatusBadRequest, "Request decode failed: %s", describeJSONError(err))
	}
	return nil
}

// describeJSONError names the field a JSON error is about.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return fmt.Sprintf("field %s: expected %s, got JSON %s (offset %d)", field, te.Type, te.Value, te.Offset)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d: %v", se.Offset, se)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
