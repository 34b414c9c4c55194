package api

import (
	"encoding/json"
	"net/http"
)

// AgentMonitor opens a stream of the agent's log lines at level (trace,
// debug, info, warn or error; "" is info), as JSON objects with asJSON,
// from GET /v1/agent/monitor: frames whose Data holds log lines, read with
// Next until Close.
func (c *Client) AgentMonitor(level string, asJSON bool, q *QueryOptions) (*LogStream, error) {
	r := c.newRequest(http.MethodGet, "/v1/agent/monitor")
	r.setQuery(q)
	if level != "" {
		r.params.Set("log_level", level)
	}
	if asJSON {
		r.params.Set("log_json", "true")
	}
	req, err := c.httpRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, newError(r.method, r.path, resp)
	}
	return &LogStream{body: resp.Body, dec: json.NewDecoder(resp.Body)}, nil
}
