package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"time"
)

// forwardWait bounds how long a request for the leader waits for one to
// be elected or to answer, across attempts.
const forwardWait = 5 * time.Second

// forwardAttempt bounds one forwarded request.
const forwardAttempt = 2 * time.Second

// errForwardFailed marks a leader that a forwarded request did not reach.
var errForwardFailed = errors.New("a forwarded request got no answer")

// leaderSuspector is an Elector told about leaders that forwarded
// requests did not reach.
type leaderSuspector interface{ suspectLeader(addr string) }

// leaderOnly runs h on the leader and proxies the request to the leader
// from any other server: heartbeats must reach the timers the leader
// holds. When the leader does not answer (it died, or was cut off), the
// request waits for the next leader, up to forwardWait, and goes there
// (or runs here, when this server was elected); without an etcd quorum it
// is refused at once.
func (s *Server) leaderOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.isLeader() {
			h(w, r)
			return
		}
		if r.Header.Get("X-Wharf-Forwarded") != "" {
			s.setMeta(w, 0)
			s.writeError(w, r, errorf(http.StatusServiceUnavailable, "leadership is changing; retry"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			s.setMeta(w, 0)
			s.writeError(w, r, err)
			return
		}
		s.forward(w, r, h, body)
	}
}

// forward sends the request with body to the leader, trying the next
// leader when one does not answer.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, body []byte) {
	deadline := time.Now().Add(forwardWait)
	failed := ""
	for {
		addr, err := s.awaitLeader(r.Context(), failed, deadline)
		if err != nil {
			s.setMeta(w, 0)
			s.writeError(w, r, errorf(http.StatusServiceUnavailable, "no cluster leader to forward to: %v", err))
			return
		}
		if s.isLeader() {
			r.Body = io.NopCloser(bytes.NewReader(body))
			h(w, r)
			return
		}
		if s.proxyOnce(w, r, addr, body) {
			return
		}
		failed = addr
		if sp, ok := s.cfg.Elector.(leaderSuspector); ok {
			sp.suspectLeader(addr)
		}
	}
}

// awaitLeader returns the leader's address, or this server's when it
// leads, waiting until deadline while there is none, it is the one a
// request just failed to reach, or it is this server still taking over. A lost quorum is returned at once.
func (s *Server) awaitLeader(ctx context.Context, failed string, deadline time.Time) (string, error) {
	for {
		if s.isLeader() {
			return "", nil
		}
		addr, err := s.cfg.Elector.Leader(ctx)
		var qe *QuorumError
		switch {
		case errors.As(err, &qe):
			return "", err
		case err == nil && addr != "" && addr == s.selfAddr():
			// Elected, but the leadership has not taken effect here
			// yet: forwarding to itself would be refused.
			err = errors.New("this server was elected and is taking over")
		case err == nil && addr != "" && addr != failed:
			return addr, nil
		case err == nil && addr == failed:
			err = fmt.Errorf("the leader %s does not answer", addr)
		case err == nil:
			err = errors.New("no leader elected")
		}
		if time.Now().After(deadline) {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// proxyOnce sends the request to the leader at addr and copies its
// answer; it returns false, having written nothing, when the leader could
// not be reached.
func (s *Server) proxyOnce(w http.ResponseWriter, r *http.Request, addr string, body []byte) bool {
	target, rt := s.leaderTarget(addr)
	// A frozen leader accepts connections and answers nothing: give it
	// forwardAttempt, then try the next one.
	ctx, cancel := context.WithTimeout(r.Context(), forwardAttempt)
	defer cancel()
	out := r.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.Header.Set("X-Wharf-Forwarded", "1")
	reached := true
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = rt
	proxy.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { reached = false }
	proxy.ServeHTTP(w, out)
	if !reached && r.Context().Err() == nil {
		s.log.Warn("forward to the leader failed: waiting for the next leader", "leader", addr, "path", r.URL.Path)
	}
	return reached || r.Context().Err() != nil
}
