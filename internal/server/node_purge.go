package server

import (
	"fmt"
	"net/http"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// NodePurgeResponse is the answer of PUT /v1/node/:id/purge (Nomad's).
type NodePurgeResponse struct {
	EvalIDs         []string
	EvalCreateIndex uint64
	NodeModifyIndex uint64
}

// nodePurge removes a node from the cluster (Nomad's node purge). The
// node is first marked down with an evaluation for each job that still
// has allocations on it, in one write, so the scheduler marks them lost
// and replaces them whatever happens next; then the node and its service
// instances are removed. A node that is still alive registers again with
// its next heartbeat.
func (s *Server) nodePurge(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	snap := s.store.Snapshot()
	node := snap.Node(id)
	if node == nil {
		return nil, 0, errorf(http.StatusNotFound, "node %q not found", id)
	}
	evals := nodeLossEvals(snap, id)
	resp := &NodePurgeResponse{}
	index, err := s.store.UpdateNodeStatus(r.Context(), id, structs.NodeStatusDown, evals)
	if err != nil {
		return nil, 0, fmt.Errorf("purge node %q: mark it down: %w", id, err)
	}
	for _, e := range evals {
		resp.EvalIDs = append(resp.EvalIDs, e.ID)
	}
	if len(evals) > 0 {
		resp.EvalCreateIndex = index
	}
	index, err = s.store.DeleteNode(r.Context(), id)
	if err != nil {
		return nil, 0, fmt.Errorf("purge node %q: %w", id, err)
	}
	resp.NodeModifyIndex = index
	s.deleteNodeServices(r.Context(), id)
	s.log.Info("node purged", "node", id, "name", node.Name, "evals", len(evals))
	return resp, index, nil
}

// nodeLossEvals returns a node-update evaluation for each job with
// allocations that still hold resources on the node.
func nodeLossEvals(snap state.Snapshot, nodeID string) []*structs.Evaluation {
	var evals []*structs.Evaluation
	seen := map[structs.NamespacedID]bool{}
	for _, a := range snap.AllocsByNode(nodeID) {
		key := drainJobKey(a)
		if a.TerminalStatus() || seen[key] {
			continue
		}
		seen[key] = true
		job := snap.Job(a.Namespace, a.JobID)
		if job == nil {
			job = &structs.Job{Namespace: a.Namespace, ID: a.JobID, Priority: structs.DefaultPriority, Type: structs.JobTypeService}
		}
		e := newEval(job, structs.EvalTriggerNodeUpdate)
		e.NodeID = nodeID
		evals = append(evals, e)
	}
	return evals
}
