package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var serviceTables = []state.Table{state.TableServices}

// maxCheckOutput caps what a check's Output keeps; longer output is cut.
const maxCheckOutput = 4 << 10

// maxReportedErrors bounds how many invalid fields one 400 lists.
const maxReportedErrors = 20

// serviceWriteResponse answers wharf's register and deregister endpoints.
type serviceWriteResponse struct {
	Index uint64
}

// servicesList answers Nomad's GET /v1/services: the services of the
// request's namespace ("*" for all) with their tags.
func (s *Server) servicesList(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	shown := listedNamespaces(r, acl.CapReadJob, false)
	return s.blockingRead(r, serviceTables, func(snap state.Snapshot) (any, error) {
		var regs []*structs.ServiceRegistration
		for _, reg := range snap.ServiceRegistrations() {
			if shown(reg.Namespace) {
				regs = append(regs, reg)
			}
		}
		return structs.ServiceStubs(regs), nil
	})
}

// servicesInstances answers wharf's GET /v1/services/instances: every
// instance of the request's namespace ("*" for all), sorted by service
// name then ID, in one blocking query — what the ingress follows, so that
// a change costs it one request however many services there are. With
// ?routable=true (the ingress's) only the instances the ingress may send
// requests to (routable).
func (s *Server) servicesInstances(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	shown := listedNamespaces(r, acl.CapReadJob, false)
	onlyRoutable, err := boolParam(r, "routable")
	if err != nil {
		return nil, 0, err
	}
	return s.blockingRead(r, serviceTables, func(snap state.Snapshot) (any, error) {
		regs := []*structs.ServiceRegistration{}
		for _, reg := range snap.ServiceRegistrations() {
			if shown(reg.Namespace) && (!onlyRoutable || routable(snap, reg)) {
				regs = append(regs, reg)
			}
		}
		return regs, nil
	})
}

// serviceGet answers Nomad's GET /v1/service/:name: the instances of one
// service, sorted by ID; wharf's ?passing=true keeps the healthy ones,
// and ?routable=true those the ingress may send requests to (routable).
func (s *Server) serviceGet(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, name := namespace(r), r.PathValue("name")
	passing, err := boolParam(r, "passing")
	if err != nil {
		return nil, 0, err
	}
	onlyRoutable, err := boolParam(r, "routable")
	if err != nil {
		return nil, 0, err
	}
	return s.blockingRead(r, serviceTables, func(snap state.Snapshot) (any, error) {
		out := []*structs.ServiceRegistration{}
		for _, reg := range snap.ServiceRegistrationsByName(ns, name) {
			if (!passing || reg.Health() == structs.HealthPassing) && (!onlyRoutable || routable(snap, reg)) {
				out = append(out, reg)
			}
		}
		return out, nil
	})
}

// servicesByNode answers wharf's GET /v1/services/node/:id: a node's
// registrations, which a restarted client reconciles against.
func (s *Server) servicesByNode(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	shown := nodeScoped(r, id)
	return s.blockingRead(r, serviceTables, func(snap state.Snapshot) (any, error) {
		out := []*structs.ServiceRegistration{}
		for _, reg := range snap.ServiceRegistrationsByNode(id) {
			if shown(reg.Namespace) {
				out = append(out, reg)
			}
		}
		return out, nil
	})
}

// serviceDelete answers Nomad's DELETE /v1/service/:name/:id.
func (s *Server) serviceDelete(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	name, id := r.PathValue("name"), r.PathValue("id")
	reg := s.store.Snapshot().ServiceRegistration(id)
	if reg == nil || reg.ServiceName != name || !listedNamespaces(r, acl.CapSubmitJob, false)(reg.Namespace) {
		return nil, 0, errorf(http.StatusNotFound, "service %q has no registration %q", name, id)
	}
	index, err := s.store.DeleteServiceRegistrations(r.Context(), []string{id})
	if err != nil {
		return nil, 0, fmt.Errorf("delete service registration %q: %w", id, err)
	}
	return nil, s.writeIndex(index), nil
}

// servicesRegister answers wharf's PUT /v1/services/register: it validates
// every registration and writes them in one transaction, guarded by the
// snapshot the ownership checks read (409 when it went stale).
func (s *Server) servicesRegister(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.ServiceRegisterRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if err := validateRegistrations(req.Services); err != nil {
		return nil, 0, err
	}
	if len(req.Services) == 0 {
		index := s.writeIndex(0)
		return &serviceWriteResponse{Index: index}, index, nil
	}
	snap, ai := s.store.Snapshot(), authOf(r)
	seen := make(map[string]uint64, len(req.Services))
	var joins []*structs.ServiceRegistration
	for i, reg := range req.Services {
		if err := mayRegister(snap, ai, reg); err != nil {
			return nil, 0, err
		}
		if err := taskAddressError(snap, ai, fmt.Sprintf("Services[%d]", i), reg); err != nil {
			return nil, 0, err
		}
		if stored := snap.ServiceRegistration(reg.ID); stored != nil {
			seen[reg.ID] = stored.ModifyIndex
		}
		if joinsUnlessTasks(snap, ai, reg) {
			joins = append(joins, reg)
		}
	}
	// The write happens only if no instance changed since the checks'
	// snapshot: else a task's instance registered in between would be
	// overwritten by a caller who was never checked against it.
	index, err := s.store.UpsertServiceRegistrationsIf(r.Context(), req.Services, seen)
	if errors.Is(err, state.ErrConflict) {
		return nil, 0, errorf(http.StatusConflict, "service instances changed while the registration was checked, nothing was written; retry: %v", err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("register %d service instances: %w", len(req.Services), err)
	}
	// A job declaring one of the names may have been submitted between the
	// checks and the write: then what joined its tasks' pool is removed.
	if name, err := catalog.RecheckJoins(r.Context(), s.store, snap, index, joins, ai.callerNode()); name != "" || err != nil {
		if err != nil {
			return nil, 0, err
		}
		return nil, 0, errorf(http.StatusConflict, "service %q came to belong to tasks (a job declaring it was submitted) while the registration was checked; "+
			"the instances joining it were removed; retry", name)
	}
	index = s.writeIndex(index)
	return &serviceWriteResponse{Index: index}, index, nil
}

// servicesDeregister answers wharf's PUT /v1/services/deregister.
func (s *Server) servicesDeregister(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.ServiceDeregisterRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	var errs []error
	for i, id := range req.IDs {
		if id == "" {
			errs = append(errs, fmt.Errorf("IDs[%d]: empty", i))
		}
	}
	if err := invalid("deregistration", errs); err != nil {
		return nil, 0, err
	}
	snap, ai := s.store.Snapshot(), authOf(r)
	for _, id := range req.IDs {
		if err := mayDeregister(snap, ai, id); err != nil {
			return nil, 0, err
		}
	}
	var index uint64
	if len(req.IDs) > 0 {
		var err error
		if index, err = s.store.DeleteServiceRegistrations(r.Context(), req.IDs); err != nil {
			return nil, 0, fmt.Errorf("deregister %d service instances: %w", len(req.IDs), err)
		}
	}
	index = s.writeIndex(index)
	return &serviceWriteResponse{Index: index}, index, nil
}

// writeIndex is index, or the services table's when a write changed
// nothing (the store returns 0 then).
func (s *Server) writeIndex(index uint64) uint64 {
	if index == 0 {
		return s.store.Snapshot().TableIndex(state.TableServices)
	}
	return index
}

// validateRegistrations checks and defaults each registration, naming the
// field path of every problem (Services[2].ServiceName: missing).
func validateRegistrations(regs []*structs.ServiceRegistration) error {
	var errs []error
	seen := make(map[string]int, len(regs))
	for i, reg := range regs {
		path := fmt.Sprintf("Services[%d]", i)
		if reg == nil {
			errs = append(errs, fmt.Errorf("%s: null", path))
			continue
		}
		errs = append(errs, validateRegistration(path, reg)...)
		if reg.ID == "" {
			continue
		}
		if j, dup := seen[reg.ID]; dup {
			errs = append(errs, fmt.Errorf("%s.ID: %q repeats Services[%d].ID", path, reg.ID, j))
		}
		seen[reg.ID] = i
	}
	return invalid("service registration", errs)
}

func validateRegistration(path string, reg *structs.ServiceRegistration) []error {
	var errs []error
	if reg.ID == "" {
		errs = append(errs, fmt.Errorf("%s.ID: missing", path))
	}
	if reg.ServiceName == "" {
		errs = append(errs, fmt.Errorf("%s.ServiceName: missing", path))
	}
	if reg.Namespace == "" {
		reg.Namespace = "default"
	}
	if reg.Port < 0 || reg.Port > 65535 {
		errs = append(errs, fmt.Errorf("%s.Port: %d is not a port (0 to 65535)", path, reg.Port))
	}
	for _, l := range structs.CheckServiceLabels("Tags", reg.Tags, reg.Meta) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, l.Field, l.Msg))
	}
	reg.CreateIndex, reg.ModifyIndex = 0, 0
	ids := make(map[string]bool, len(reg.Checks))
	for j, c := range reg.Checks {
		cpath := fmt.Sprintf("%s.Checks[%d]", path, j)
		if c == nil {
			errs = append(errs, fmt.Errorf("%s: null", cpath))
			continue
		}
		errs = append(errs, validateCheck(cpath, c)...)
		if c.ID != "" && ids[c.ID] {
			errs = append(errs, fmt.Errorf("%s.ID: %q repeats another check of the instance", cpath, c.ID))
		}
		ids[c.ID] = true
	}
	return errs
}

func validateCheck(path string, c *structs.CheckStatus) []error {
	var errs []error
	if c.ID == "" {
		c.ID = c.Name
	}
	if c.ID == "" {
		errs = append(errs, fmt.Errorf("%s.ID: missing (and no Name to default it to)", path))
	}
	switch c.Status {
	case structs.HealthPassing, structs.HealthWarning, structs.HealthCritical:
	default:
		errs = append(errs, fmt.Errorf("%s.Status: %q is not passing, warning or critical", path, c.Status))
	}
	c.Output = httpapi.CutUTF8(c.Output, maxCheckOutput)
	return errs
}

// invalid joins errs into one 400, listing at most maxReportedErrors.
func invalid(what string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, 0, min(len(errs), maxReportedErrors)+1)
	for i, e := range errs {
		if i == maxReportedErrors {
			msgs = append(msgs, fmt.Sprintf("... and %d more", len(errs)-i))
			break
		}
		msgs = append(msgs, e.Error())
	}
	return errorf(http.StatusBadRequest, "invalid %s: %s", what, strings.Join(msgs, "; "))
}

// deleteNodeServices removes every registration of a node; the leader
// calls it when the node misses its heartbeat.
func (s *Server) deleteNodeServices(ctx context.Context, nodeID string) {
	regs := s.store.Snapshot().ServiceRegistrationsByNode(nodeID)
	if err := s.deleteRegistrations(ctx, regs); err != nil && !s.leadershipLost(ctx, err, "remove a lost node's services", "node", nodeID) {
		s.log.Error("remove the service registrations of a lost node", "node", nodeID, "err", err)
	}
}

// deleteJobServices removes every registration of a job; jobDeregister
// calls it when the job is purged.
func (s *Server) deleteJobServices(ctx context.Context, ns, jobID string) {
	var regs []*structs.ServiceRegistration
	for _, reg := range s.store.Snapshot().ServiceRegistrations() {
		if reg.Namespace == ns && reg.JobID == jobID {
			regs = append(regs, reg)
		}
	}
	if err := s.deleteRegistrations(ctx, regs); err != nil {
		s.log.Error("remove the service registrations of a purged job", "job", jobID, "namespace", ns, "err", err)
	}
}

// sweepDownNodeServices removes the registrations of nodes already down
// when this server starts leading: a leader that died between marking a
// node down and removing its registrations leaves them behind.
func (s *Server) sweepDownNodeServices(ctx context.Context) {
	for _, n := range s.store.Snapshot().Nodes() {
		if n.Status == structs.NodeStatusDown {
			s.deleteNodeServices(ctx, n.ID)
		}
	}
}

func (s *Server) deleteRegistrations(ctx context.Context, regs []*structs.ServiceRegistration) error {
	if len(regs) == 0 {
		return nil
	}
	ids := make([]string, len(regs))
	for i, reg := range regs {
		ids[i] = reg.ID
	}
	_, err := s.store.DeleteServiceRegistrations(ctx, ids)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("delete %d registrations: %w", len(ids), err)
	}
	return nil
}
