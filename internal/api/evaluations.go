package api

import "github.com/wharf-project/wharf/internal/structs"

// Evaluations is the /v1/evaluations and /v1/evaluation/:id part of the API.
type Evaluations struct{ c *Client }

// Evaluations returns the evaluation endpoints.
func (c *Client) Evaluations() *Evaluations { return &Evaluations{c: c} }

// List returns evaluations (GET /v1/evaluations), filtered by q.Prefix.
func (e *Evaluations) List(q *QueryOptions) ([]*structs.Evaluation, *QueryMeta, error) {
	var out []*structs.Evaluation
	meta, err := e.c.query("/v1/evaluations", &out, q)
	return out, meta, err
}

// Info returns one evaluation (GET /v1/evaluation/:id).
func (e *Evaluations) Info(id string, q *QueryOptions) (*structs.Evaluation, *QueryMeta, error) {
	var out structs.Evaluation
	meta, err := e.c.query("/v1/evaluation/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Allocations lists the allocations an evaluation placed or changed (GET
// /v1/evaluation/:id/allocations).
func (e *Evaluations) Allocations(id string, q *QueryOptions) ([]*structs.AllocListStub, *QueryMeta, error) {
	var out []*structs.AllocListStub
	meta, err := e.c.query("/v1/evaluation/"+escape(id)+"/allocations", &out, q)
	return out, meta, err
}

// Resolve returns the evaluation whose ID is id or starts with id.
func (e *Evaluations) Resolve(id string, q *QueryOptions) (*structs.Evaluation, *QueryMeta, error) {
	full, err := resolvePrefix("evaluations", id, func(p *QueryOptions) ([]string, error) {
		evals, _, err := e.List(p)
		return stubIDs(evals, func(ev *structs.Evaluation) string { return ev.ID }), err
	}, q)
	if err != nil {
		return nil, nil, err
	}
	return e.Info(full, q)
}
