package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// NodeEligibilityRequest is the body of PUT /v1/node/:id/eligibility
// (Nomad's). NodeID is sent by Nomad's client and ignored: the path names
// the node.
type NodeEligibilityRequest struct {
	NodeID      string
	Eligibility string
}

// nodeEligibility sets whether new allocations may be placed on a node. A
// draining node cannot be made eligible (as Nomad): the drain is
// disabled instead. A node made eligible retries blocked evaluations.
func (s *Server) nodeEligibility(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	var req NodeEligibilityRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if req.Eligibility != structs.NodeSchedulingEligible && req.Eligibility != structs.NodeSchedulingIneligible {
		return nil, 0, errorf(http.StatusBadRequest, "field Eligibility: %q is neither eligible nor ineligible", req.Eligibility)
	}
	node := s.store.Snapshot().Node(id)
	if node == nil {
		return nil, 0, errorf(http.StatusNotFound, "node %q not found", id)
	}
	if node.DrainStrategy != nil && req.Eligibility == structs.NodeSchedulingEligible {
		return nil, 0, errorf(http.StatusBadRequest, "node %q is draining: it cannot be made eligible; disable the drain instead (node drain -disable)", id)
	}
	resp := &structs.NodeUpdateResponse{}
	if node.SchedulingEligibility == req.Eligibility {
		resp.Index = s.store.Snapshot().Index()
		resp.NodeModifyIndex = node.ModifyIndex
		return resp, resp.Index, nil
	}
	c := node.Copy()
	c.SchedulingEligibility = req.Eligibility
	withNodeEvent(c, &structs.NodeEvent{Subsystem: "Cluster", Timestamp: time.Now().UTC(),
		Message: "Node marked as " + req.Eligibility + " for scheduling"})
	index, err := s.store.UpsertNode(r.Context(), c)
	if err != nil {
		return nil, 0, fmt.Errorf("update eligibility of node %q: %w", id, err)
	}
	resp.NodeModifyIndex, resp.Index = index, index
	if req.Eligibility == structs.NodeSchedulingEligible {
		if idx, err := s.retryBlocked(r, s.store.Snapshot()); err == nil && idx > resp.Index {
			resp.Index = idx
		}
	}
	return resp, resp.Index, nil
}
