package server

import (
	"context"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/structs"
)

// maxHeartbeatsPerSecond bounds the heartbeat load on the leader: TTLs
// grow with the number of nodes, as in Nomad.
const maxHeartbeatsPerSecond = 50

// heartbeats holds one timer per live node on the leader; a timer that
// fires marks its node down.
type heartbeats struct {
	mu     sync.Mutex
	timers map[string]*time.Timer
	expire func(nodeID string)
	closed bool
}

func newHeartbeats(expire func(nodeID string)) *heartbeats {
	return &heartbeats{timers: map[string]*time.Timer{}, expire: expire}
}

// reset (re)arms nodeID's timer to fire after d.
func (h *heartbeats) reset(nodeID string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if t, ok := h.timers[nodeID]; ok {
		t.Reset(d)
		return
	}
	h.timers[nodeID] = time.AfterFunc(d, func() {
		h.mu.Lock()
		delete(h.timers, nodeID)
		closed := h.closed
		h.mu.Unlock()
		if !closed {
			h.expire(nodeID)
		}
	})
}

// count is the number of nodes with a live timer.
func (h *heartbeats) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.timers)
}

// close stops every timer.
func (h *heartbeats) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, t := range h.timers {
		t.Stop()
		delete(h.timers, id)
	}
}

// resetHeartbeat renews nodeID's timer on the leader and returns the TTL
// the node must heartbeat within.
func (s *Server) resetHeartbeat(nodeID string) time.Duration {
	s.mu.Lock()
	hb := s.heartbeats
	s.mu.Unlock()
	ttl := s.cfg.MinHeartbeatTTL
	if hb == nil {
		return ttl
	}
	if scaled := time.Duration(hb.count()) * time.Second / maxHeartbeatsPerSecond; scaled > ttl {
		ttl = scaled
	}
	ttl += backoff.UpTo(ttl / 4)
	hb.reset(nodeID, ttl+s.cfg.HeartbeatGrace)
	return ttl
}

// armAllHeartbeats gives every live node the failover TTL when this
// server starts leading: nodes that never heartbeat again go down.
func (s *Server) armAllHeartbeats(hb *heartbeats) {
	for _, n := range s.store.Snapshot().Nodes() {
		if n.Status != structs.NodeStatusDown {
			hb.reset(n.ID, s.cfg.FailoverHeartbeatTTL)
		}
	}
}

// nodeExpired marks a node down and creates an evaluation for each job
// with allocations on it, so the scheduler marks them lost and replaces
// them elsewhere.
func (s *Server) nodeExpired(ctx context.Context, nodeID string) {
	snap := s.store.Snapshot()
	node := snap.Node(nodeID)
	if node == nil || node.Status == structs.NodeStatusDown {
		return
	}
	var evals []*structs.Evaluation
	seen := map[structs.NamespacedID]bool{}
	for _, a := range snap.AllocsByNode(nodeID) {
		key := structs.NamespacedID{Namespace: a.Namespace, ID: a.JobID}
		if a.TerminalStatus() || seen[key] {
			continue
		}
		seen[key] = true
		job := snap.Job(a.Namespace, a.JobID)
		if job == nil {
			job = &structs.Job{Namespace: a.Namespace, ID: a.JobID, Priority: 50, Type: structs.JobTypeService}
		}
		e := newEval(job, structs.EvalTriggerNodeUpdate)
		e.NodeID = nodeID
		evals = append(evals, e)
	}
	if _, err := s.store.UpdateNodeStatus(ctx, nodeID, structs.NodeStatusDown, evals); err != nil {
		if !s.leadershipLost(ctx, err, "mark node down", "node", nodeID) {
			s.log.Error("mark node down", "node", nodeID, "err", err)
		}
		return
	}
	metrics.NodeMissedHeartbeat()
	s.deleteNodeServices(ctx, nodeID)
	s.log.Warn("node missed its heartbeat: marked down", "node", nodeID, "name", node.Name, "evals", len(evals))
}
