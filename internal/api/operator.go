package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Operator is the /v1/operator part of the API: snapshots of the whole
// state.
type Operator struct{ c *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// SnapshotSummary describes a snapshot file.
type SnapshotSummary struct {
	Format  string
	Version int
	// Index is the state index the snapshot was read at.
	Index  uint64
	Time   time.Time
	Prefix string
	Keys   int
	Tables map[string]int
	Bytes  int64
	SHA256 string
}

// SnapshotRestoreResult is the answer to a restore.
type SnapshotRestoreResult struct {
	Snapshot SnapshotSummary
	// Deleted keys were not in the snapshot; Index is the state index once
	// the restore was applied.
	Deleted int
	Index   uint64
}

// SnapshotSave copies a snapshot of the whole state into w (GET
// /v1/operator/snapshot; a management token). A snapshot cut short
// arrives without its last line, which the snapshot reader refuses.
func (o *Operator) SnapshotSave(w io.Writer, q *QueryOptions) error {
	r := o.c.newRequest(http.MethodGet, "/v1/operator/snapshot")
	r.setQuery(q)
	resp, err := o.c.raw(r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("GET /v1/operator/snapshot: %w", err)
	}
	return nil
}

// SnapshotRestore replaces the whole state with the snapshot read from in
// (PUT /v1/operator/snapshot; a management token).
func (o *Operator) SnapshotRestore(in io.Reader, w *WriteOptions) (*SnapshotRestoreResult, error) {
	r := o.c.newRequest(http.MethodPut, "/v1/operator/snapshot")
	r.setWrite(w)
	resp, err := o.c.raw(r, in)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out SnapshotRestoreResult
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("PUT /v1/operator/snapshot: decode response: %w", err)
	}
	return &out, nil
}

// raw sends r with body (not JSON encoded) and returns a 2xx response
// for the caller to read and close.
func (c *Client) raw(r *request, body io.Reader) (*http.Response, error) {
	req, err := c.httpRequest(r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Body = io.NopCloser(body)
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, newError(r.method, r.path, resp)
	}
	return resp, nil
}
