package api

import (
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/structs"
)

// listIDs lists the IDs of objects whose ID starts with q.Prefix.
type listIDs func(q *QueryOptions) ([]string, error)

// resolvePrefix turns an ID or ID prefix into one full ID: an exact match
// wins, then a single prefix match; several matches are an
// *AmbiguousPrefixError and none an error matching ErrNotFound.
func resolvePrefix(kind, prefix string, list listIDs, q *QueryOptions) (string, error) {
	if prefix == "" {
		return "", errors.New("an ID or ID prefix is required")
	}
	lq := QueryOptions{Prefix: prefix}
	if q != nil {
		lq.Namespace, lq.Region, lq.Context = q.Namespace, q.Region, q.Context
	}
	ids, err := list(&lq)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if id == prefix {
			return id, nil
		}
	}
	switch len(ids) {
	case 0:
		return "", &notFoundError{msg: fmt.Sprintf("no %s with ID prefix %q", kind, prefix)}
	case 1:
		return ids[0], nil
	}
	return "", &AmbiguousPrefixError{Kind: kind, Prefix: prefix, Matches: ids}
}

// stubIDs maps a list of objects to their IDs.
func stubIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

// ResolveID returns the full ID of the job named id, or of the one job
// whose ID starts with id.
func (j *Jobs) ResolveID(id string, q *QueryOptions) (string, error) {
	return resolvePrefix("jobs", id, func(p *QueryOptions) ([]string, error) {
		stubs, _, err := j.List(p)
		return stubIDs(stubs, func(s *structs.JobListStub) string { return s.ID }), err
	}, q)
}

// Resolve returns the job named id, or the one job whose ID starts with id.
func (j *Jobs) Resolve(id string, q *QueryOptions) (*structs.Job, *QueryMeta, error) {
	full, err := j.ResolveID(id, q)
	if err != nil {
		return nil, nil, err
	}
	return j.Info(full, q)
}
