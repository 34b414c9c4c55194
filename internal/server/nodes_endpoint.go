package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var nodeTables = []state.Table{state.TableNodes}

func (s *Server) nodesList(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	prefix := r.URL.Query().Get("prefix")
	return s.blockingRead(r, nodeTables, func(snap state.Snapshot) (any, error) {
		nodes := snap.NodesByIDPrefix(prefix)
		out := make([]*structs.NodeListStub, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, n.Stub())
		}
		return out, nil
	})
}

func (s *Server) nodeInfo(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	return s.blockingRead(r, nodeTables, func(snap state.Snapshot) (any, error) {
		n := snap.Node(id)
		if n == nil {
			return nil, errorf(http.StatusNotFound, "node %q not found", id)
		}
		c := n.Copy()
		c.SecretID = ""
		return c, nil
	})
}

func (s *Server) nodeAllocations(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	shown := nodeScoped(r, id)
	return s.blockingRead(r, allocTables, func(snap state.Snapshot) (any, error) {
		allocs := snap.AllocsByNode(id)
		out := make([]*structs.Allocation, 0, len(allocs))
		for _, a := range allocs {
			if shown(a.Namespace) {
				out = append(out, withJob(snap, a))
			}
		}
		return out, nil
	})
}

// nodeRegister adds or refreshes a node and starts its heartbeat timer.
func (s *Server) nodeRegister(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var node structs.Node
	if _, err := decodeBody(w, r, &node); err != nil {
		return nil, 0, err
	}
	if err := validateNode(&node); err != nil {
		return nil, 0, err
	}
	old := s.store.Snapshot().Node(node.ID)
	if err := mayRegisterNode(authOf(r), old, &node); err != nil {
		return nil, 0, err
	}
	if old != nil {
		// Eligibility, drain and events are the servers': a
		// re-registering client does not reset them.
		node.SchedulingEligibility, node.Drain = old.SchedulingEligibility, old.Drain
		node.DrainStrategy, node.LastDrain, node.Events = old.DrainStrategy, old.LastDrain, old.Events
	}
	node.StatusUpdatedAt = time.Now().Unix()
	index, err := s.store.UpsertNode(r.Context(), &node)
	if err != nil {
		return nil, 0, fmt.Errorf("register node %q: %w", node.ID, err)
	}
	if node.Status == structs.NodeStatusReady {
		// A snapshot taken after the write: an evaluation blocked before it
		// is retried here; one blocked after it saw this node.
		if idx, err := s.retryBlocked(r, s.store.Snapshot()); err == nil && idx > index {
			index = idx
		}
	}
	ttl := s.resetHeartbeat(node.ID)
	return &structs.NodeUpdateResponse{HeartbeatTTL: ttl, NodeModifyIndex: index, Index: index}, index, nil
}

// mayRegisterNode lets a node register again only with the secret it
// first registered with (trust on first use, as Nomad); a new node needs,
// with ACLs on, a token with node write.
func mayRegisterNode(ai *authInfo, old, n *structs.Node) error {
	if old == nil {
		if ai.aclsOn && !ai.acl.AllowNodeWrite() {
			return denied("registering new node %q needs a token with node policy \"write\" (client acl { token })", n.ID)
		}
		return nil
	}
	if old.SecretHash != "" && old.SecretHash != structs.HashSecret(n.SecretID) {
		return denied("node %q is registered with another secret ID", n.ID)
	}
	return nil
}

func validateNode(n *structs.Node) error {
	var errs []error
	if n.ID == "" {
		errs = append(errs, errors.New("field ID: missing node ID"))
	}
	if len(n.SecretID) < 16 {
		errs = append(errs, errors.New("field SecretID: missing or shorter than 16 characters; a node proves who it is with it"))
	}
	if n.Name == "" {
		n.Name = n.ID
	}
	if n.Datacenter == "" {
		n.Datacenter = "dc1"
	}
	switch n.Status {
	case "":
		n.Status = structs.NodeStatusReady
	case structs.NodeStatusInit, structs.NodeStatusReady:
	default:
		errs = append(errs, fmt.Errorf("field Status: %q is not a status a node may register with (initializing, ready)", n.Status))
	}
	if n.SchedulingEligibility == "" {
		n.SchedulingEligibility = structs.NodeSchedulingEligible
	}
	if n.NodeResources == nil {
		errs = append(errs, errors.New("field NodeResources: missing; a node must report its CPU and memory"))
	} else {
		if n.NodeResources.MinDynamicPort == 0 {
			n.NodeResources.MinDynamicPort = structs.DefaultMinDynamicPort
		}
		if n.NodeResources.MaxDynamicPort == 0 {
			n.NodeResources.MaxDynamicPort = structs.DefaultMaxDynamicPort
		}
		if n.NodeResources.MinDynamicPort > n.NodeResources.MaxDynamicPort {
			errs = append(errs, errors.New("field NodeResources.MinDynamicPort: larger than MaxDynamicPort"))
		}
	}
	if len(errs) > 0 {
		return errorf(http.StatusBadRequest, "invalid node: %v", errors.Join(errs...))
	}
	return nil
}

// retryBlocked turns every blocked evaluation pending again.
func (s *Server) retryBlocked(r *http.Request, snap state.Snapshot) (uint64, error) {
	evals := unblockEvals(snap, nil)
	if len(evals) == 0 {
		return 0, nil
	}
	return s.store.UpsertEvals(r.Context(), evals)
}

// nodeHeartbeat renews a node's TTL; a node that was down is ready again.
func (s *Server) nodeHeartbeat(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	snap := s.store.Snapshot()
	node := snap.Node(id)
	if node == nil {
		return nil, 0, errorf(http.StatusNotFound, "node %q not found; register it first", id)
	}
	index := snap.TableIndex(state.TableNodes)
	if node.Status != structs.NodeStatusReady {
		idx, err := s.store.UpdateNodeStatus(r.Context(), id, structs.NodeStatusReady, unblockEvals(snap, nil))
		if err != nil {
			return nil, 0, fmt.Errorf("mark node %q ready: %w", id, err)
		}
		index = idx
	}
	ttl := s.resetHeartbeat(id)
	metrics.HeartbeatReceived()
	return &structs.NodeUpdateResponse{HeartbeatTTL: ttl, NodeModifyIndex: index, Index: index}, index, nil
}
