package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// maxNodeEvents is how many events a node keeps.
const maxNodeEvents = 10

// evalTriggerNodeDrain is Nomad's TriggeredBy of a drain's evaluations.
const evalTriggerNodeDrain = "node-drain"

// Bounds of the metadata an operator attaches to a drain: it is stored on
// the node and sent with every read of it.
const (
	maxDrainMetaKeys  = 64
	maxDrainMetaBytes = 16 << 10
)

// NodeDrainRequest is the body of PUT /v1/node/:id/drain (Nomad's): a
// DrainSpec starts draining (or changes a drain in progress), none stops
// it; MarkEligible then makes the node eligible again. NodeID is sent by
// Nomad's client and ignored: the path names the node.
type NodeDrainRequest struct {
	NodeID       string
	DrainSpec    *structs.DrainSpec
	MarkEligible bool
	Meta         map[string]string
}

// nodeDrain sets or clears a node's drain strategy. Setting one makes the
// node ineligible; the leader's drainer then migrates its allocations
// within each group's migrate limits and stops what is left at the
// deadline. Clearing it cancels the drain; with MarkEligible the node
// takes placements again and blocked evaluations are retried.
func (s *Server) nodeDrain(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	var req NodeDrainRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if err := validateDrainRequest(&req); err != nil {
		return nil, 0, err
	}
	node := s.store.Snapshot().Node(id)
	if node == nil {
		return nil, 0, errorf(http.StatusNotFound, "node %q not found", id)
	}
	c := drainedNode(node, &req, accessorOf(r), time.Now().UTC())
	index, err := s.store.UpsertNode(r.Context(), c)
	if err != nil {
		return nil, 0, fmt.Errorf("update drain of node %q: %w", id, err)
	}
	if req.DrainSpec != nil {
		s.log.Info("node drain strategy set", "node", id, "name", node.Name,
			"deadline", req.DrainSpec.Deadline, "ignore_system_jobs", req.DrainSpec.IgnoreSystemJobs)
	} else if node.DrainStrategy != nil {
		s.log.Info("node drain canceled", "node", id, "name", node.Name)
	}
	resp := &structs.NodeUpdateResponse{NodeModifyIndex: index, Index: index}
	if req.DrainSpec == nil && c.SchedulingEligibility == structs.NodeSchedulingEligible {
		if idx, err := s.retryBlocked(r, s.store.Snapshot()); err == nil && idx > resp.Index {
			resp.Index = idx
		}
	}
	return resp, resp.Index, nil
}

// validateDrainRequest refuses what Nomad refuses and bounds the meta.
func validateDrainRequest(req *NodeDrainRequest) error {
	if req.DrainSpec != nil && req.MarkEligible {
		return errorf(http.StatusBadRequest, "field MarkEligible: a draining node cannot be marked eligible; disable the drain with it instead")
	}
	if len(req.Meta) > maxDrainMetaKeys {
		return errorf(http.StatusBadRequest, "field Meta: %d keys, at most %d", len(req.Meta), maxDrainMetaKeys)
	}
	size := 0
	for k, v := range req.Meta {
		size += len(k) + len(v)
	}
	if size > maxDrainMetaBytes {
		return errorf(http.StatusBadRequest, "field Meta: %d bytes, at most %d", size, maxDrainMetaBytes)
	}
	return nil
}

// accessorOf is the accessor ID of the request's token, "" without one.
func accessorOf(r *http.Request) string {
	if t := authOf(r).token; t != nil {
		return t.AccessorID
	}
	return ""
}

// drainedNode returns a copy of node with the drain request applied, its
// LastDrain updated and an event recording it.
func drainedNode(node *structs.Node, req *NodeDrainRequest, accessor string, now time.Time) *structs.Node {
	c := node.Copy()
	ev := &structs.NodeEvent{Subsystem: "Drain", Timestamp: now, Details: map[string]string{}}
	if spec := req.DrainSpec; spec != nil {
		d := structs.NewDrainStrategy(*spec, now)
		if node.DrainStrategy != nil {
			d.StartedAt = node.DrainStrategy.StartedAt
		}
		c.DrainStrategy, c.Drain = d, true
		c.SchedulingEligibility = structs.NodeSchedulingIneligible
		c.LastDrain = &structs.DrainMetadata{StartedAt: d.StartedAt, UpdatedAt: now,
			Status: structs.DrainStatusDraining, AccessorID: accessor, Meta: req.Meta}
		ev.Message = "Node drain strategy set"
		ev.Details["deadline"] = spec.Deadline.String()
		ev.Details["ignore_system_jobs"] = fmt.Sprint(spec.IgnoreSystemJobs)
	} else {
		c.DrainStrategy, c.Drain = nil, false
		if req.MarkEligible {
			c.SchedulingEligibility = structs.NodeSchedulingEligible
		}
		if node.DrainStrategy != nil {
			c.LastDrain = lastDrain(node, structs.DrainStatusCanceled, now)
			if req.Meta != nil {
				c.LastDrain.Meta = req.Meta
			}
		}
		ev.Message = "Node drain disabled"
	}
	return withNodeEvent(c, ev)
}

// lastDrain returns a copy of node's LastDrain with status, updated now.
func lastDrain(node *structs.Node, status string, now time.Time) *structs.DrainMetadata {
	ld := &structs.DrainMetadata{}
	if node.LastDrain != nil {
		*ld = *node.LastDrain
	}
	if ld.StartedAt.IsZero() && node.DrainStrategy != nil {
		ld.StartedAt = node.DrainStrategy.StartedAt
	}
	ld.Status, ld.UpdatedAt = status, now
	return ld
}

// withNodeEvent appends ev to c's events, keeping the latest
// maxNodeEvents, and returns c.
func withNodeEvent(c *structs.Node, ev *structs.NodeEvent) *structs.Node {
	events := make([]*structs.NodeEvent, 0, len(c.Events)+1)
	events = append(events, c.Events...)
	events = append(events, ev)
	if len(events) > maxNodeEvents {
		events = events[len(events)-maxNodeEvents:]
	}
	c.Events = events
	return c
}
