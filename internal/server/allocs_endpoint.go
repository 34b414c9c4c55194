package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var allocTables = []state.Table{state.TableAllocs}

func (s *Server) allocsList(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	prefix := r.URL.Query().Get("prefix")
	shown := listedNamespaces(r, acl.CapReadJob, true)
	return s.blockingRead(r, allocTables, func(snap state.Snapshot) (any, error) {
		var allocs []*structs.Allocation
		for _, a := range snap.AllocsByIDPrefix(prefix) {
			if shown(a.Namespace) {
				allocs = append(allocs, a)
			}
		}
		return allocStubs(snap, allocs), nil
	})
}

// allocStubs returns the list form of allocs with their job type.
func allocStubs(snap state.Snapshot, allocs []*structs.Allocation) []*structs.AllocListStub {
	out := make([]*structs.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		jobType := ""
		if j := allocJob(snap, a); j != nil {
			jobType = j.Type
		}
		out = append(out, a.Stub(jobType))
	}
	return out
}

// allocJob is the job version an allocation runs.
func allocJob(snap state.Snapshot, a *structs.Allocation) *structs.Job {
	if j := snap.JobVersion(a.Namespace, a.JobID, a.JobVersion); j != nil {
		return j
	}
	if j := snap.Job(a.Namespace, a.JobID); j != nil && j.Version == a.JobVersion {
		return j
	}
	return nil
}

// withJob returns a copy of a carrying its job, as Nomad's API returns it.
func withJob(snap state.Snapshot, a *structs.Allocation) *structs.Allocation {
	c := a.Copy()
	c.Job = allocJob(snap, a)
	return c
}

func (s *Server) allocInfo(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	return s.blockingRead(r, allocTables, func(snap state.Snapshot) (any, error) {
		a := snap.Alloc(id)
		if a == nil {
			return nil, errorf(http.StatusNotFound, "allocation %q not found", id)
		}
		return withJob(snap, a), nil
	})
}

// allocsUpdate takes client status updates. An allocation that becomes
// client-terminal frees resources, so blocked evaluations are retried; a
// failed one gets an evaluation so it may be rescheduled.
func (s *Server) allocsUpdate(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.AllocUpdateRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	snap := s.store.Snapshot()
	if err := mayUpdateAllocs(snap, authOf(r), req.Alloc); err != nil {
		return nil, 0, err
	}
	var evals []*structs.Evaluation
	freed := false
	seenJob := map[structs.NamespacedID]bool{}
	for i, upd := range req.Alloc {
		if upd == nil || upd.ID == "" {
			return nil, 0, errorf(http.StatusBadRequest, "field Alloc[%d].ID: missing allocation ID", i)
		}
		cur := snap.Alloc(upd.ID)
		if cur == nil || cur.ClientTerminalStatus() || !isClientTerminal(upd.ClientStatus) {
			continue
		}
		freed = true
		key := structs.NamespacedID{Namespace: cur.Namespace, ID: cur.JobID}
		if upd.ClientStatus == structs.AllocClientStatusFailed && !seenJob[key] && !cur.ServerTerminalStatus() {
			if job := snap.Job(cur.Namespace, cur.JobID); job != nil {
				seenJob[key] = true
				evals = append(evals, newEval(job, structs.EvalTriggerRetryFailed))
			}
		}
	}
	index, err := s.store.UpdateAllocsFromClient(r.Context(), req.Alloc, evals)
	if err != nil {
		return nil, 0, fmt.Errorf("update allocations: %w", err)
	}
	if freed {
		// Read the blocked evaluations after the write, so none blocked
		// before the capacity was freed is missed.
		if idx, err := s.retryBlocked(r, s.store.Snapshot()); err == nil && idx > index {
			index = idx
		}
	}
	return map[string]uint64{"Index": index}, index, nil
}

func isClientTerminal(status string) bool {
	a := structs.Allocation{ClientStatus: status}
	return a.ClientTerminalStatus()
}

// unblockEvals returns the blocked evaluations, except those of skip,
// turned pending so the leader retries them.
func unblockEvals(snap state.Snapshot, skip *structs.NamespacedID) []*structs.Evaluation {
	var out []*structs.Evaluation
	now := time.Now().UnixNano()
	for _, e := range snap.EvalsByStatus(structs.EvalStatusBlocked) {
		if skip != nil && e.Namespace == skip.Namespace && e.JobID == skip.ID {
			continue
		}
		c := e.Copy()
		c.Status = structs.EvalStatusPending
		c.StatusDescription = "retrying: capacity or nodes changed"
		c.ModifyTime = now
		out = append(out, c)
	}
	return out
}

// mayUpdateAllocs lets a node update only its own allocations (a token
// with node write, with ACLs on, may update any).
func mayUpdateAllocs(snap state.Snapshot, ai *authInfo, allocs []*structs.Allocation) error {
	if ai.nodeWriteToken() {
		return nil
	}
	for i, upd := range allocs {
		if upd == nil {
			continue
		}
		cur := snap.Alloc(upd.ID)
		if cur != nil && cur.NodeID != ai.callerNode() {
			return denied("field Alloc[%d]: allocation %q runs on node %s; only that node may update it", i, upd.ID, cur.NodeID)
		}
	}
	return nil
}
