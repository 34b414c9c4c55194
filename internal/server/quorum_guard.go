package server

import (
	"context"
	"net/http"
	"time"
)

// Quorum guard timings: a write still running after guardAfter makes the
// guard check the quorum, and again every guardEvery until it ends; one
// check takes at most about a second, so a write answers within about
// two seconds of a quorum loss instead of hanging.
const (
	guardAfter = 900 * time.Millisecond
	guardEvery = 400 * time.Millisecond
)

// guardQuorum bounds a request that may write (any method but GET, HEAD
// and OPTIONS) when the store can lose its quorum: it is refused at once
// with the QuorumError while the quorum is known lost, and its context is
// cancelled with that error as cause when a check made while it runs
// finds the quorum lost (writeError then answers 503 naming it). Reads
// are served from the in-memory index and never wait for etcd. A write
// still waiting after etcd elected a new leader is cancelled with
// ErrLeaderChanged (etcd would answer it only after 7 s). The returned
// release ends the guard.
func (s *Server) guardQuorum(r *http.Request) (*http.Request, func(), error) {
	qa, ok := s.cfg.Elector.(quorumAware)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		ok = false
	}
	if !ok {
		return r, func() {}, nil
	}
	if err := qa.quorumLost(); err != nil {
		return r, func() {}, err
	}
	startTerm := qa.raftTerm()
	ctx, cancel := context.WithCancelCause(r.Context())
	done := make(chan struct{})
	go func() {
		t := time.NewTimer(guardAfter)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if err := qa.checkQuorum(ctx, startTerm); err != nil {
				cancel(err)
				return
			}
			t.Reset(guardEvery)
		}
	}()
	return r.WithContext(ctx), func() { close(done); cancel(nil) }, nil
}

// lastContact is how long ago the store last had a quorum (0 while it
// has one), for X-Nomad-LastContact.
func (s *Server) lastContact() time.Duration {
	if qa, ok := s.cfg.Elector.(quorumAware); ok {
		return qa.lastContact()
	}
	return 0
}
