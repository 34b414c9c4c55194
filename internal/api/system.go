package api

import "net/http"

// System is the /v1/system API.
type System struct{ c *Client }

// System returns the /v1/system API.
func (c *Client) System() *System { return &System{c: c} }

// GCResult is what a forced garbage collection deleted.
type GCResult struct {
	Jobs, Evals, Allocs, Nodes int
	// ACLTokens counts the expired ACL tokens deleted.
	ACLTokens int
	// Reclaimed says etcd's space was reclaimed after the collection
	// (compacted; defragmented and its space alarm disarmed where
	// needed); ReclaimError why that failed.
	Reclaimed    bool
	ReclaimError string
}

// GarbageCollect collects every dead job, terminal evaluation and
// allocation and down node now, whatever the thresholds (PUT
// /v1/system/gc; a management token when ACLs are on). It returns once
// the leader has done it.
func (s *System) GarbageCollect(w *WriteOptions) (*GCResult, error) {
	var out GCResult
	if err := s.c.write(http.MethodPut, "/v1/system/gc", nil, &out, w, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
