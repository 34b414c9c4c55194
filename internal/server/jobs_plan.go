package server

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"time"

	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// jobPlan is a dry run: it runs the scheduler against the current state
// for the submitted job and returns what would change, writing nothing.
func (s *Server) jobPlan(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.JobPlanRequest
	job, err := s.decodeSubmittedJob(w, r, &req, func() *structs.Job { return req.Job })
	if err != nil {
		return nil, 0, err
	}
	snap := s.store.Snapshot()
	old := snap.Job(job.Namespace, job.ID)
	planned := plannedVersion(old, job, snap.Index())
	eval := newEval(planned, structs.EvalTriggerJobRegister)
	res, err := scheduler.Process(snap, eval, planned, scheduler.Options{Now: time.Now(), Rand: newRand()})
	if err != nil {
		return nil, 0, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	resp := &structs.JobPlanResponse{FailedTGAllocs: res.FailedTGAllocs}
	if res.Plan != nil {
		resp.Annotations = res.Plan.Annotations
	}
	if old != nil {
		resp.JobModifyIndex = old.JobModifyIndex
	}
	if req.Diff {
		resp.Diff = structs.DiffJobs(old, planned)
		annotateDiff(resp.Diff, resp.Annotations)
	}
	return resp, snap.Index(), nil
}

// plannedVersion is job as it would be stored after registering it.
func plannedVersion(old, job *structs.Job, index uint64) *structs.Job {
	planned := job.Copy()
	if old == nil {
		planned.JobModifyIndex = index + 1
		return planned
	}
	planned.Version, planned.JobModifyIndex = old.Version, old.JobModifyIndex
	planned.CreateIndex = old.CreateIndex
	if old.SpecChanged(planned) {
		planned.Version = old.Version + 1
		planned.JobModifyIndex = index + 1
	}
	return planned
}

// annotateDiff copies the scheduler's per-group counts into the diff, with
// the keys Nomad's CLI prints.
func annotateDiff(d *structs.JobDiff, ann *structs.PlanAnnotations) {
	if d == nil || ann == nil {
		return
	}
	for _, tgd := range d.TaskGroups {
		u := ann.DesiredTGUpdates[tgd.Name]
		if u == nil {
			continue
		}
		tgd.Updates = map[string]uint64{}
		for k, v := range map[string]uint64{
			"create": u.Place, "destroy": u.Stop, "migrate": u.Migrate,
			"in-place update": u.InPlaceUpdate, "create/destroy update": u.DestructiveUpdate,
			"ignore": u.Ignore, "canary": u.Canary,
		} {
			if v > 0 {
				tgd.Updates[k] = v
			}
		}
	}
}

func (s *Server) jobScale(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	var req structs.ScalingRequest
	body, err := decodeBody(w, r, &req)
	if err != nil {
		return nil, 0, err
	}
	if err := checkFields(body, reflect.TypeOf(req)); err != nil {
		return nil, 0, err
	}
	group := req.Target["Group"]
	if group == "" {
		return nil, 0, errorf(http.StatusBadRequest, "field Target.Group: missing task group name")
	}
	job := s.store.Snapshot().Job(ns, id)
	if job == nil {
		return nil, 0, errorf(http.StatusNotFound, "job %q not found", id)
	}
	if job.LookupTaskGroup(group) == nil {
		return nil, 0, errorf(http.StatusBadRequest, "field Target.Group: job %q has no task group %q", id, group)
	}
	if req.Count == nil {
		return &structs.JobRegisterResponse{JobModifyIndex: job.JobModifyIndex}, 0, nil
	}
	if *req.Count < 0 {
		return nil, 0, errorf(http.StatusBadRequest, "field Count: %d is negative", *req.Count)
	}
	if max := s.cfg.Limits.Job.MaxCount; *req.Count > int64(max) {
		return nil, 0, errorf(http.StatusBadRequest, "field Count: count %d is over the limit of %d (limits.job_max_count)", *req.Count, max)
	}
	nj := job.Copy()
	nj.LookupTaskGroup(group).Count = int(*req.Count)
	if err := nj.CheckLimits(s.cfg.Limits.Job); err != nil {
		return nil, 0, errorf(http.StatusBadRequest, "job is over the server's limits: %v", prefixLines(err.Error(), "Job."))
	}
	var enforce *uint64
	if req.JobModifyIndex > 0 {
		enforce = &req.JobModifyIndex
	}
	eval := newEval(nj, structs.EvalTriggerScaling)
	index, err := s.store.RegisterJob(r.Context(), nj, []*structs.Evaluation{eval}, enforce)
	if err != nil {
		return nil, 0, fmt.Errorf("scale job %q: %w", id, err)
	}
	resp := &structs.JobRegisterResponse{EvalID: eval.ID, EvalCreateIndex: index, Index: index}
	if cur := s.store.Snapshot().Job(ns, id); cur != nil {
		resp.JobModifyIndex = cur.JobModifyIndex
	}
	return resp, index, nil
}

func (s *Server) jobScaleStatus(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	return s.blockingRead(r, []state.Table{state.TableJobs, state.TableAllocs}, func(snap state.Snapshot) (any, error) {
		job := snap.Job(ns, id)
		if job == nil {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		resp := &structs.JobScaleStatusResponse{JobID: job.ID, Namespace: job.Namespace,
			JobCreateIndex: job.CreateIndex, JobModifyIndex: job.JobModifyIndex, JobStopped: job.Stop,
			TaskGroups: map[string]structs.TaskGroupScaleStatus{}}
		for _, tg := range job.TaskGroups {
			resp.TaskGroups[tg.Name] = structs.TaskGroupScaleStatus{Desired: tg.Count, Events: []structs.ScalingEvent{}}
		}
		for _, a := range snap.AllocsByJob(ns, id) {
			st, ok := resp.TaskGroups[a.TaskGroup]
			if !ok || a.TerminalStatus() {
				continue
			}
			st.Placed++
			if a.ClientStatus == structs.AllocClientStatusRunning {
				// Without deployments, a running allocation counts as healthy.
				st.Running++
				st.Healthy++
			}
			resp.TaskGroups[a.TaskGroup] = st
		}
		return resp, nil
	})
}

func newRand() *rand.Rand {
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}
