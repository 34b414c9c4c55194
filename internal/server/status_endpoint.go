package server

import (
	"errors"
	"net/http"
)

// errNoLeader marks the answer of a server that knows no leader: expected
// during elections and without a quorum, so it is not logged as a
// failure.
var errNoLeader = errors.New("no cluster leader")

// noLeaderError is errNoLeader with its cause, answered with 500 as
// Nomad's "No cluster leader".
type noLeaderError struct{ err error }

func (e *noLeaderError) Error() string        { return "no cluster leader: " + e.err.Error() }
func (e *noLeaderError) Is(target error) bool { return target == errNoLeader }

func (s *Server) statusLeader(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	addr, err := s.cfg.Elector.Leader(r.Context())
	if err != nil {
		return nil, 0, &noLeaderError{err: err}
	}
	return addr, 0, nil
}

func (s *Server) statusPeers(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	peers, err := s.cfg.Elector.Peers(r.Context())
	if err != nil {
		return nil, 0, err
	}
	return peers, 0, nil
}

func (s *Server) regions(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	return []string{s.cfg.Region}, 0, nil
}

// agentSelf answers enough of Nomad's /v1/agent/self for clients that
// probe it.
func (s *Server) agentSelf(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	return map[string]any{
		"config": map[string]any{"Region": s.cfg.Region, "Server": map[string]any{"Enabled": true}},
		"member": map[string]any{"Tags": map[string]string{"region": s.cfg.Region, "role": "nomad"}},
		"stats":  map[string]any{"nomad": map[string]string{"leader": boolString(s.isLeader())}},
	}, 0, nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	return nil, 0, errorf(http.StatusNotFound, "no API path %s %s", r.Method, r.URL.Path)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
