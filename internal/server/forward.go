package server

import (
	"net/http"
	"net/http/httputil"
)

// leaderOnly runs h on the leader and proxies the request to the leader
// from any other server: heartbeats must reach the timers the leader holds.
func (s *Server) leaderOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.isLeader() {
			h(w, r)
			return
		}
		addr, err := s.cfg.Elector.Leader(r.Context())
		if err != nil || addr == "" {
			s.setMeta(w, 0)
			s.writeError(w, r, errorf(http.StatusServiceUnavailable, "no cluster leader to forward to"))
			return
		}
		if r.Header.Get("X-Wharf-Forwarded") != "" {
			s.writeError(w, r, errorf(http.StatusServiceUnavailable, "leadership is changing; retry"))
			return
		}
		r.Header.Set("X-Wharf-Forwarded", "1")
		target, rt := s.leaderTarget(addr)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.Transport = rt
		proxy.ServeHTTP(w, r)
	}
}
