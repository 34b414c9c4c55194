package api

// Status is the /v1/status part of the API.
type Status struct{ c *Client }

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{c: c} }

// Leader returns the address ("host:port") of the server that leads the
// cluster (GET /v1/status/leader).
func (s *Status) Leader() (string, error) {
	var out string
	if _, err := s.c.query("/v1/status/leader", &out, nil); err != nil {
		return "", err
	}
	return out, nil
}
