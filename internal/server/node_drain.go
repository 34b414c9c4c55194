package server

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// maxNodeEvents is how many events a node keeps.
const maxNodeEvents = 10

// evalTriggerNodeDrain is Nomad's TriggeredBy of a drain's evaluations.
const evalTriggerNodeDrain = "node-drain"

// DrainSpec is how a node is drained (Nomad's field names). Deadline is
// recorded on the node's events but not enforced: every allocation is
// marked for migration at once.
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// NodeDrainRequest is the body of PUT /v1/node/:id/drain: a DrainSpec
// enables draining, none disables it; MarkEligible then makes the node
// eligible again.
type NodeDrainRequest struct {
	DrainSpec    *DrainSpec
	MarkEligible bool
	Meta         map[string]string
}

// nodeDrain turns draining on or off. On: the node becomes ineligible,
// every allocation still placed on it is marked for migration and each
// affected job gets an evaluation (TriggeredBy node-drain). Off: Drain is
// cleared; with MarkEligible the node takes placements again.
func (s *Server) nodeDrain(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	var req NodeDrainRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	node := s.store.Snapshot().Node(id)
	if node == nil {
		return nil, 0, errorf(http.StatusNotFound, "node %q not found", id)
	}
	c := drainedNode(node, &req)
	index, err := s.store.UpsertNode(r.Context(), c)
	if err != nil {
		return nil, 0, fmt.Errorf("update drain of node %q: %w", id, err)
	}
	resp := &structs.NodeUpdateResponse{NodeModifyIndex: index, Index: index}
	if req.DrainSpec != nil {
		if err := s.migrateNodeAllocs(r, id, req.DrainSpec, resp); err != nil {
			return nil, 0, err
		}
	} else if c.SchedulingEligibility == structs.NodeSchedulingEligible {
		if idx, err := s.retryBlocked(r, s.store.Snapshot()); err == nil && idx > resp.Index {
			resp.Index = idx
		}
	}
	return resp, resp.Index, nil
}

// drainedNode returns a copy of node with the drain request applied and
// an event recording it.
func drainedNode(node *structs.Node, req *NodeDrainRequest) *structs.Node {
	c := node.Copy()
	ev := &structs.NodeEvent{Subsystem: "Drain", Timestamp: time.Now().UTC(), Details: map[string]string{}}
	if spec := req.DrainSpec; spec != nil {
		c.Drain = true
		c.SchedulingEligibility = structs.NodeSchedulingIneligible
		ev.Message = "Node drain strategy set"
		ev.Details["deadline"] = spec.Deadline.String()
		ev.Details["ignore_system_jobs"] = fmt.Sprint(spec.IgnoreSystemJobs)
	} else {
		c.Drain = false
		if req.MarkEligible {
			c.SchedulingEligibility = structs.NodeSchedulingEligible
		}
		ev.Message = "Node drain disabled"
	}
	c.Events = append(c.Events, ev)
	if len(c.Events) > maxNodeEvents {
		c.Events = c.Events[len(c.Events)-maxNodeEvents:]
	}
	return c
}

// migrateNodeAllocs marks the node's running allocations for migration,
// one evaluation per job, and adds the evaluations to resp.
func (s *Server) migrateNodeAllocs(r *http.Request, nodeID string, spec *DrainSpec, resp *structs.NodeUpdateResponse) error {
	snap := s.store.Snapshot()
	byJob := map[structs.NamespacedID][]string{}
	for _, a := range snap.AllocsByNode(nodeID) {
		if a.TerminalStatus() {
			continue
		}
		key := structs.NamespacedID{Namespace: a.Namespace, ID: a.JobID}
		byJob[key] = append(byJob[key], a.ID)
	}
	keys := make([]structs.NamespacedID, 0, len(byJob))
	for k := range byJob {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		job := snap.Job(k.Namespace, k.ID)
		if job == nil || (spec.IgnoreSystemJobs && job.Type == "system") {
			continue
		}
		eval := newEval(job, evalTriggerNodeDrain)
		eval.NodeID = nodeID
		index, err := s.markMigrate(r.Context(), job, byJob[k], eval)
		if err != nil {
			return fmt.Errorf("drain node %q: migrate allocations of job %q: %w", nodeID, k.ID, err)
		}
		resp.EvalIDs = append(resp.EvalIDs, eval.ID)
		resp.EvalCreateIndex, resp.Index = index, index
	}
	return nil
}
