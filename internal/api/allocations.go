package api

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// Allocations is the /v1/allocations and /v1/allocation/:id part of the API.
type Allocations struct{ c *Client }

// Allocations returns the allocation endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{c: c} }

// List returns allocations (GET /v1/allocations), filtered by q.Prefix.
func (a *Allocations) List(q *QueryOptions) ([]*structs.AllocListStub, *QueryMeta, error) {
	var out []*structs.AllocListStub
	meta, err := a.c.query("/v1/allocations", &out, q)
	return out, meta, err
}

// Info returns one allocation (GET /v1/allocation/:id).
func (a *Allocations) Info(id string, q *QueryOptions) (*structs.Allocation, *QueryMeta, error) {
	var out structs.Allocation
	meta, err := a.c.query("/v1/allocation/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// UpdateAllocs reports client-side state changes of allocations (PUT
// /v1/allocations/update): ClientStatus, ClientDescription and TaskStates.
// It is wharf's own endpoint, used by the client agent.
func (a *Allocations) UpdateAllocs(allocs []*structs.Allocation) error {
	req := &structs.AllocUpdateRequest{Alloc: allocs}
	return a.c.write(http.MethodPut, "/v1/allocations/update", req, nil, nil, nil)
}

// Resolve returns the allocation whose ID is id or starts with id.
func (a *Allocations) Resolve(id string, q *QueryOptions) (*structs.Allocation, *QueryMeta, error) {
	full, err := resolvePrefix("allocations", id, func(p *QueryOptions) ([]string, error) {
		stubs, _, err := a.List(p)
		return stubIDs(stubs, func(s *structs.AllocListStub) string { return s.ID }), err
	}, q)
	if err != nil {
		return nil, nil, err
	}
	return a.Info(full, q)
}
