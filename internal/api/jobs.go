package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/wharf-project/wharf/internal/structs"
)

// Jobs is the /v1/jobs and /v1/job/:id part of the API.
type Jobs struct{ c *Client }

// Jobs returns the jobs endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c} }

// Register submits a job (PUT /v1/jobs) and returns the evaluation the
// server created for it.
func (j *Jobs) Register(job *structs.Job, w *WriteOptions) (*structs.JobRegisterResponse, error) {
	return j.register(&structs.JobRegisterRequest{Job: job}, w)
}

// EnforceRegister submits a job only if the server's JobModifyIndex for it
// is still modifyIndex (0: the job must not exist yet); otherwise the
// server answers 409.
func (j *Jobs) EnforceRegister(job *structs.Job, modifyIndex uint64, w *WriteOptions) (*structs.JobRegisterResponse, error) {
	return j.register(&structs.JobRegisterRequest{Job: job, EnforceIndex: true, JobModifyIndex: modifyIndex}, w)
}

func (j *Jobs) register(req *structs.JobRegisterRequest, w *WriteOptions) (*structs.JobRegisterResponse, error) {
	var resp structs.JobRegisterResponse
	if err := j.c.write(http.MethodPut, "/v1/jobs", req, &resp, w, nil); err != nil {
		return nil, err
	}
	return &resp, nil
}

// List returns the jobs (GET /v1/jobs), filtered by q.Prefix.
func (j *Jobs) List(q *QueryOptions) ([]*structs.JobListStub, *QueryMeta, error) {
	var out []*structs.JobListStub
	meta, err := j.c.query("/v1/jobs", &out, q)
	return out, meta, err
}

// Info returns one job (GET /v1/job/:id).
func (j *Jobs) Info(id string, q *QueryOptions) (*structs.Job, *QueryMeta, error) {
	var out structs.Job
	meta, err := j.c.query("/v1/job/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Deregister stops a job (DELETE /v1/job/:id); purge deletes it and its
// history as well.
func (j *Jobs) Deregister(id string, purge bool) (*structs.JobDeregisterResponse, error) {
	var params url.Values
	if purge {
		params = url.Values{"purge": {"true"}}
	}
	var resp structs.JobDeregisterResponse
	if err := j.c.write(http.MethodDelete, "/v1/job/"+escape(id), nil, &resp, nil, params); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Allocations lists a job's allocations (GET /v1/job/:id/allocations);
// all includes those of earlier job instances with the same ID.
func (j *Jobs) Allocations(id string, all bool, q *QueryOptions) ([]*structs.AllocListStub, *QueryMeta, error) {
	q = withParam(q, "all", strconv.FormatBool(all))
	var out []*structs.AllocListStub
	meta, err := j.c.query("/v1/job/"+escape(id)+"/allocations", &out, q)
	return out, meta, err
}

// Evaluations lists a job's evaluations (GET /v1/job/:id/evaluations).
func (j *Jobs) Evaluations(id string, q *QueryOptions) ([]*structs.Evaluation, *QueryMeta, error) {
	var out []*structs.Evaluation
	meta, err := j.c.query("/v1/job/"+escape(id)+"/evaluations", &out, q)
	return out, meta, err
}

// Versions lists a job's stored versions, newest first (GET
// /v1/job/:id/versions); diffs asks for the diff of each to the one before.
func (j *Jobs) Versions(id string, diffs bool, q *QueryOptions) (*structs.JobVersionsResponse, *QueryMeta, error) {
	if diffs {
		q = withParam(q, "diffs", "true")
	}
	var out structs.JobVersionsResponse
	meta, err := j.c.query("/v1/job/"+escape(id)+"/versions", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Summary counts a job's allocations by state (GET /v1/job/:id/summary).
func (j *Jobs) Summary(id string, q *QueryOptions) (*structs.JobSummary, *QueryMeta, error) {
	var out structs.JobSummary
	meta, err := j.c.query("/v1/job/"+escape(id)+"/summary", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Plan asks what registering job would change (POST /v1/job/:id/plan)
// without changing anything; diff asks for the job diff.
func (j *Jobs) Plan(job *structs.Job, diff bool) (*structs.JobPlanResponse, error) {
	req := &structs.JobPlanRequest{Job: job, Diff: diff}
	var resp structs.JobPlanResponse
	if err := j.c.write(http.MethodPost, "/v1/job/"+escape(job.ID)+"/plan", req, &resp, nil, nil); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Scale sets the count of one task group (POST /v1/job/:id/scale).
func (j *Jobs) Scale(id, group string, count int, message string) (*structs.JobRegisterResponse, error) {
	n := int64(count)
	req := &structs.ScalingRequest{
		Count:   &n,
		Target:  map[string]string{"Job": id, "Group": group},
		Message: message,
	}
	var resp structs.JobRegisterResponse
	if err := j.c.write(http.MethodPost, "/v1/job/"+escape(id)+"/scale", req, &resp, nil, nil); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ScaleStatus returns the scale state of a job's groups (GET
// /v1/job/:id/scale).
func (j *Jobs) ScaleStatus(id string, q *QueryOptions) (*structs.JobScaleStatusResponse, *QueryMeta, error) {
	var out structs.JobScaleStatusResponse
	meta, err := j.c.query("/v1/job/"+escape(id)+"/scale", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Parse turns an HCL job file into a job on the server (POST
// /v1/jobs/parse); canonicalize asks for defaults to be filled in.
func (j *Jobs) Parse(hcl string, canonicalize bool) (*structs.Job, error) {
	req := &structs.JobsParseRequest{JobHCL: hcl, Canonicalize: canonicalize}
	var out structs.Job
	if err := j.c.write(http.MethodPost, "/v1/jobs/parse", req, &out, nil, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// withParam returns a copy of q with one more query parameter.
func withParam(q *QueryOptions, key, value string) *QueryOptions {
	var cp QueryOptions
	if q != nil {
		cp = *q
	}
	params := make(map[string]string, len(cp.Params)+1)
	for k, v := range cp.Params {
		params[k] = v
	}
	params[key] = value
	cp.Params = params
	return &cp
}
