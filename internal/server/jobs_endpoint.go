package server

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/jobspec"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// validNamespace is Nomad's rule for namespace names: a job cannot land in
// a namespace named like a wildcard ("*", "prod-*") or a path ("..").
var validNamespace = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)

var jobReadTables = []state.Table{state.TableJobs, state.TableAllocs, state.TableEvals}

func (s *Server) jobsList(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns := namespace(r)
	prefix := r.URL.Query().Get("prefix")
	shown := listedNamespaces(r, acl.CapListJobs, false)
	return s.blockingRead(r, jobReadTables, func(snap state.Snapshot) (any, error) {
		jobs := snap.JobsByIDPrefix(ns, prefix)
		out := make([]*structs.JobListStub, 0, len(jobs))
		for _, j := range jobs {
			if !shown(j.Namespace) {
				continue
			}
			out = append(out, j.Stub(summarize(snap, j)))
		}
		return out, nil
	})
}

func (s *Server) jobInfo(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	return s.blockingRead(r, jobReadTables, func(snap state.Snapshot) (any, error) {
		j := snap.Job(ns, id)
		if j == nil {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		return j, nil
	})
}

func summarize(snap state.Snapshot, j *structs.Job) *structs.JobSummary {
	return structs.Summarize(j, snap.AllocsByJob(j.Namespace, j.ID), queuedAllocs(snap.EvalsByJob(j.Namespace, j.ID)))
}

// queuedAllocs is the queued count of the newest evaluation that has one.
func queuedAllocs(evals []*structs.Evaluation) map[string]int {
	var latest *structs.Evaluation
	for _, e := range evals {
		if e.QueuedAllocations != nil && (latest == nil || e.CreateIndex > latest.CreateIndex) {
			latest = e
		}
	}
	if latest == nil {
		return nil
	}
	return latest.QueuedAllocations
}

func (s *Server) jobRegister(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.JobRegisterRequest
	job, err := s.decodeSubmittedJob(w, r, &req, func() *structs.Job { return req.Job })
	if err != nil {
		return nil, 0, err
	}
	if req.EvalPriority < 0 || req.EvalPriority > 100 {
		return nil, 0, errorf(http.StatusBadRequest, "field EvalPriority: %d is out of range: it must be between 1 and 100", req.EvalPriority)
	}
	if req.PreserveCounts {
		preserveCounts(s.store.Snapshot().Job(job.Namespace, job.ID), job)
	}
	var enforce *uint64
	if req.EnforceIndex {
		enforce = &req.JobModifyIndex
	}
	eval := newEval(job, structs.EvalTriggerJobRegister)
	if req.EvalPriority > 0 {
		eval.Priority = req.EvalPriority
	}
	index, err := s.store.RegisterJob(r.Context(), job, []*structs.Evaluation{eval}, enforce)
	if errors.Is(err, state.ErrConflict) {
		return nil, 0, errorf(http.StatusConflict, "enforcing job modify index %d: job %q was modified since", req.JobModifyIndex, job.ID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("register job %q: %w", job.ID, err)
	}
	resp := &structs.JobRegisterResponse{EvalID: eval.ID, EvalCreateIndex: index, Index: index}
	if cur := s.store.Snapshot().Job(job.Namespace, job.ID); cur != nil {
		resp.JobModifyIndex = cur.JobModifyIndex
	}
	return resp, index, nil
}

// decodeSubmittedJob reads a body that carries a job ({"Job": ...}) into
// req, refuses Nomad features wharf lacks, checks the ID against the URL,
// applies defaults and validates. job returns req's job after decoding.
func (s *Server) decodeSubmittedJob(w http.ResponseWriter, r *http.Request, req any, job func() *structs.Job) (*structs.Job, error) {
	body, err := s.decodeJobBody(w, r, req)
	if err != nil {
		return nil, err
	}
	j := job()
	if err := s.checkSubmittedJob(body, reflect.TypeOf(req), j); err != nil {
		return nil, err
	}
	if id := r.PathValue("id"); id != "" && id != j.ID {
		return nil, errorf(http.StatusBadRequest, "job ID %q in the body does not match %q in the URL", j.ID, id)
	}
	if j.Namespace == "" {
		j.Namespace = namespace(r)
	}
	if !validNamespace.MatchString(j.Namespace) {
		return nil, errorf(http.StatusBadRequest, "field Namespace: %q is not a namespace name (letters, digits and -, at most 128)", j.Namespace)
	}
	// The route checked the request's namespace; a job naming another
	// one needs the capability there too.
	if j.Namespace != namespace(r) && !authOf(r).acl.AllowNamespaceOperation(j.Namespace, acl.CapSubmitJob) {
		return nil, denied("missing namespace %q capability %q (the job's namespace)", j.Namespace, acl.CapSubmitJob)
	}
	return j, s.prepareJob(j)
}

// decodeJobBody decodes a body carrying a job, bounded by the job size
// limit.
func (s *Server) decodeJobBody(w http.ResponseWriter, r *http.Request, req any) ([]byte, error) {
	if r.ContentLength > int64(s.cfg.Limits.JobMaxBytes) {
		return nil, jobTooLarge(r.ContentLength, s.cfg.Limits.JobMaxBytes)
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.JobMaxBytes))
	body, err := decodeBody(w, r, req)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, jobTooLarge(-1, s.cfg.Limits.JobMaxBytes)
	}
	return body, err
}

func jobTooLarge(size int64, limit int) error {
	if size < 0 {
		return errorf(http.StatusRequestEntityTooLarge, "job body is over the limit of %d bytes (limits.job_max_bytes)", limit)
	}
	return errorf(http.StatusRequestEntityTooLarge, "job body of %d bytes is over the limit of %d bytes (limits.job_max_bytes)", size, limit)
}

// checkSubmittedJob checks a decoded job against the body it came from:
// present, no unknown fields or unsupported Nomad features, within the
// limits; and sets
// the count of groups that did not send one.
func (s *Server) checkSubmittedJob(body []byte, reqType reflect.Type, j *structs.Job) error {
	if j == nil {
		return errorf(http.StatusBadRequest, "field Job: missing job")
	}
	if err := checkFields(body, reqType); err != nil {
		return err
	}
	if err := defaultCounts(body, j); err != nil {
		return err
	}
	if err := j.CheckLimits(s.cfg.Limits.Job); err != nil {
		return errorf(http.StatusBadRequest, "job is over the server's limits: %v", prefixLines(err.Error(), "Job."))
	}
	return nil
}

// prefixLines puts prefix in front of every line of s.
func prefixLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// prepareJob applies defaults and validates a submitted job, including
// each task's driver config against its driver's schema.
func (s *Server) prepareJob(job *structs.Job) error {
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return errorf(http.StatusBadRequest, "job validation failed: %v", err)
	}
	if err := s.validateDriverConfigs(job); err != nil {
		return errorf(http.StatusBadRequest, "job validation failed: %v", err)
	}
	return s.checkHostMounts(job)
}

// validateDriverConfigs checks every task's driver and config with
// Config.ValidateDriverConfig, naming the task.
func (s *Server) validateDriverConfigs(job *structs.Job) error {
	if s.cfg.ValidateDriverConfig == nil {
		return nil
	}
	var problems []string
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if err := s.cfg.ValidateDriverConfig(t.Driver, t.Config); err != nil {
				problems = append(problems, fmt.Sprintf("TaskGroups[%q].Tasks[%q]: %v", tg.Name, t.Name, err))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func preserveCounts(old, job *structs.Job) {
	if old == nil {
		return
	}
	for _, tg := range job.TaskGroups {
		if otg := old.LookupTaskGroup(tg.Name); otg != nil {
			tg.Count = otg.Count
		}
	}
}

// newEval returns a pending evaluation of job.
func newEval(job *structs.Job, trigger string) *structs.Evaluation {
	now := time.Now().UnixNano()
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority,
		Type: job.Type, TriggeredBy: trigger, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
}

func (s *Server) jobDeregister(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	purge, err := boolParam(r, "purge")
	if err != nil {
		return nil, 0, err
	}
	job := s.store.Snapshot().Job(ns, id)
	if job == nil {
		return nil, 0, errorf(http.StatusNotFound, "job %q not found", id)
	}
	eval := newEval(job, structs.EvalTriggerJobDeregister)
	index, err := s.store.DeregisterJob(r.Context(), ns, id, purge, []*structs.Evaluation{eval})
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, errorf(http.StatusNotFound, "job %q not found", id)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("deregister job %q: %w", id, err)
	}
	if purge {
		s.deleteJobServices(r.Context(), ns, id)
	}
	return &structs.JobDeregisterResponse{EvalID: eval.ID, EvalCreateIndex: index, JobModifyIndex: index, Index: index}, index, nil
}

func (s *Server) jobAllocations(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	return s.blockingRead(r, []state.Table{state.TableAllocs}, func(snap state.Snapshot) (any, error) {
		return allocStubs(snap, snap.AllocsByJob(ns, id)), nil
	})
}

func (s *Server) jobEvaluations(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	return s.blockingRead(r, []state.Table{state.TableEvals}, func(snap state.Snapshot) (any, error) {
		evals := slices.Clone(snap.EvalsByJob(ns, id))
		slices.SortFunc(evals, func(a, b *structs.Evaluation) int { return cmpIndex(b.CreateIndex, a.CreateIndex) })
		return evals, nil
	})
}

func (s *Server) jobVersions(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	diffs, err := boolParam(r, "diffs")
	if err != nil {
		return nil, 0, err
	}
	return s.blockingRead(r, []state.Table{state.TableJobVersions}, func(snap state.Snapshot) (any, error) {
		versions := snap.JobVersions(ns, id)
		if len(versions) == 0 {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		resp := &structs.JobVersionsResponse{Versions: versions}
		if diffs {
			for i := 0; i+1 < len(versions); i++ {
				resp.Diffs = append(resp.Diffs, structs.DiffJobs(versions[i+1], versions[i]))
			}
		}
		return resp, nil
	})
}

func (s *Server) jobSummary(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	return s.blockingRead(r, jobReadTables, func(snap state.Snapshot) (any, error) {
		j := snap.Job(ns, id)
		if j == nil {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		return summarize(snap, j), nil
	})
}

func (s *Server) jobsParse(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.JobsParseRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if req.HCLv1 {
		return nil, 0, errorf(http.StatusBadRequest, "field hclv1: HCL1 job files are not supported by wharf; use HCL2")
	}
	lim := s.cfg.Limits
	job, err := jobspec.ParseWithOptions("job.nomad.hcl", []byte(req.JobHCL),
		jobspec.Options{MaxBytes: lim.HCLMaxBytes, MaxDepth: lim.HCLMaxDepth})
	if err != nil {
		return nil, 0, errorf(http.StatusBadRequest, "%v", err)
	}
	return job, 0, nil
}

func (s *Server) jobEvaluate(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	ns, id := namespace(r), r.PathValue("id")
	job := s.store.Snapshot().Job(ns, id)
	if job == nil {
		return nil, 0, errorf(http.StatusNotFound, "job %q not found", id)
	}
	eval := newEval(job, structs.EvalTriggerJobRegister)
	index, err := s.store.UpsertEvals(r.Context(), []*structs.Evaluation{eval})
	if err != nil {
		return nil, 0, err
	}
	return &structs.JobRegisterResponse{EvalID: eval.ID, EvalCreateIndex: index, JobModifyIndex: job.JobModifyIndex, Index: index}, index, nil
}

func cmpIndex(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// jobValidate checks a job without storing it, as Nomad's
// PUT /v1/validate/job does.
func (s *Server) jobValidate(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	var req structs.JobRegisterRequest
	body, err := s.decodeJobBody(w, r, &req)
	if err != nil {
		return nil, 0, err
	}
	resp := map[string]any{"DriverConfigValidated": false, "ValidationErrors": []string{}, "Error": "", "Warnings": ""}
	fail := func(err error) (any, uint64, error) {
		resp["ValidationErrors"] = []string{err.Error()}
		resp["Error"] = err.Error()
		return resp, 0, nil
	}
	if err := s.checkSubmittedJob(body, reflect.TypeOf(req), req.Job); err != nil {
		return fail(err)
	}
	req.Job.Canonicalize()
	if err := req.Job.Validate(); err != nil {
		return fail(err)
	}
	if err := s.validateDriverConfigs(req.Job); err != nil {
		return fail(err)
	}
	if err := s.checkHostMounts(req.Job); err != nil {
		return fail(err)
	}
	resp["DriverConfigValidated"] = s.cfg.ValidateDriverConfig != nil
	return resp, 0, nil
}
