package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// wireElector gives an EtcdElector the server's logger and a probe of
// other servers' APIs that goes through the transport forwarded requests
// use (TLS when the agents have it).
func (s *Server) wireElector() {
	e, ok := s.cfg.Elector.(*EtcdElector)
	if !ok {
		return
	}
	if e.Logger == nil {
		e.Logger = s.log
	}
	if e.Ping == nil {
		e.Ping = s.pingServer
	}
}

// pingServer asks the server at addr for its regions: any answer below
// 500 means it runs and is reachable.
func (s *Server) pingServer(ctx context.Context, addr string) error {
	target, rt := s.leaderTarget(addr)
	if rt == nil {
		rt = http.DefaultTransport
	}
	u := target.ResolveReference(&url.URL{Path: "/v1/regions"})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("server %s answered %s", addr, resp.Status)
	}
	return nil
}
