package server

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

var evalTables = []state.Table{state.TableEvals}

func (s *Server) evalsList(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	q := r.URL.Query()
	prefix, job, status := q.Get("prefix"), q.Get("job"), q.Get("status")
	shown := listedNamespaces(r, acl.CapReadJob, true)
	return s.blockingRead(r, evalTables, func(snap state.Snapshot) (any, error) {
		out := []*structs.Evaluation{}
		for _, e := range snap.EvalsByIDPrefix(prefix) {
			if (job == "" || e.JobID == job) && (status == "" || e.Status == status) && shown(e.Namespace) {
				out = append(out, e)
			}
		}
		return out, nil
	})
}

func (s *Server) evalInfo(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	return s.blockingRead(r, evalTables, func(snap state.Snapshot) (any, error) {
		e := snap.Eval(id)
		if e == nil {
			return nil, errorf(http.StatusNotFound, "evaluation %q not found", id)
		}
		return e, nil
	})
}

func (s *Server) evalAllocations(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	id := r.PathValue("id")
	return s.blockingRead(r, allocTables, func(snap state.Snapshot) (any, error) {
		return allocStubs(snap, snap.AllocsByEval(id)), nil
	})
}
