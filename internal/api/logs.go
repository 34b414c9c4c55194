package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// LogOptions select a task's log stream.
type LogOptions struct {
	Task string
	// Type is "stdout" or "stderr".
	Type string
	// Follow keeps the stream open for new output until the task is dead
	// and its output drained.
	Follow bool
	// Origin is "start" or "end"; Offset counts bytes from it.
	Origin string
	Offset int64
}

// LogStream decodes frames from a log stream.
type LogStream struct {
	body io.ReadCloser
	dec  *json.Decoder
}

// Next returns the next frame with data, skipping heartbeats; io.EOF when
// the stream ended.
func (s *LogStream) Next() (*LogFrame, error) {
	for {
		var f LogFrame
		if err := s.dec.Decode(&f); err != nil {
			return nil, err
		}
		if len(f.Data) > 0 || f.FileEvent != "" {
			return &f, nil
		}
	}
}

// Close ends the stream.
func (s *LogStream) Close() error { return s.body.Close() }

// Logs opens a task's log stream (GET /v1/client/fs/logs/:alloc). Servers
// proxy the request to the node running the allocation.
func (a *Allocations) Logs(allocID string, o LogOptions, q *QueryOptions) (*LogStream, error) {
	r := a.c.newRequest(http.MethodGet, "/v1/client/fs/logs/"+escape(allocID))
	r.setQuery(q)
	r.params.Set("task", o.Task)
	r.params.Set("type", o.Type)
	r.params.Set("follow", strconv.FormatBool(o.Follow))
	if o.Origin != "" {
		r.params.Set("origin", o.Origin)
	}
	r.params.Set("offset", strconv.FormatInt(o.Offset, 10))
	req, err := a.c.httpRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := a.c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, newError(r.method, r.path, resp)
	}
	return &LogStream{body: resp.Body, dec: json.NewDecoder(resp.Body)}, nil
}

// String describes a frame for debugging.
func (f *LogFrame) String() string {
	return fmt.Sprintf("%s@%d (%d bytes)", f.File, f.Offset, len(f.Data))
}
