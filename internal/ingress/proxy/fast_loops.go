package proxy

import (
	"errors"
	"net"
	"net/http"

	"github.com/wharf-project/wharf/internal/ingress/eventloop"
)

var (
	_ eventloop.Handler = (*FastServer)(nil)
	_ eventloop.Session = (*fastConn)(nil)
)

// serveLoops serves l from ServerOptions.EventLoops event loops (package
// eventloop), which run the fast path's code unchanged in coroutines:
// they accept on their own copies of l's socket and l is closed, so
// Close or Shutdown stop the server, not closing l. It returns when the
// server is shut down; should every loop fail, the connections are
// accepted and served from goroutines.
func (s *FastServer) serveLoops(l net.Listener) error {
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	ev := eventloop.New(eventloop.Options{Loops: s.opts.loops(), Handler: s, Conns: s.opts.Conns,
		Logger: s.log(), Ended: s.loopEnded})
	s.ev = ev
	s.mu.Unlock()
	gl, err := ev.Serve(l)
	switch {
	case errors.Is(err, eventloop.ErrStopped):
		return http.ErrServerClosed
	case err != nil:
		return err
	}
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		gl.Close()
		return http.ErrServerClosed
	}
	s.ln = gl
	s.mu.Unlock()
	return s.accept(gl, s.serveGoroutine)
}

// Open serves a connection an event loop accepted (eventloop.Handler);
// nil once the server is shut down.
func (s *FastServer) Open(l *eventloop.Loop, c net.Conn) eventloop.Session {
	fc := s.newConn(c)
	if fc == nil {
		return nil
	}
	fc.lp, fc.pools = l, s.loopPoolSet(l)
	fc.begin()
	return fc
}

// Serve serves the connection on its event loop (eventloop.Session)
// until it ends, or idles: it is then parked without buffers.
func (fc *fastConn) Serve() bool {
	if fc.br == nil {
		fc.takeBuffers()
	}
	out := fc.loop()
	if out == parked {
		return true
	}
	fc.finish(out)
	return false
}

// loopPoolSet returns the server connection pools of loop l: a loop's
// connections live in its epoll set, so each loop keeps its own.
func (s *FastServer) loopPoolSet(l *eventloop.Loop) *poolSet {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	ps := s.loopPools[l]
	if ps == nil {
		if s.loopPools == nil {
			s.loopPools = map[*eventloop.Loop]*poolSet{}
		}
		ps = &poolSet{}
		s.loopPools[l] = ps
		s.p.keep(ps)
	}
	return ps
}

// loopEnded closes the pools of a loop that ended.
func (s *FastServer) loopEnded(l *eventloop.Loop) {
	s.loopMu.Lock()
	ps := s.loopPools[l]
	delete(s.loopPools, l)
	s.loopMu.Unlock()
	if ps != nil {
		s.p.unkeep(ps)
	}
}

// eventLoops returns the server's event loops, if it runs some.
func (s *FastServer) eventLoops() []*eventloop.Loop {
	s.mu.Lock()
	ev := s.ev
	s.mu.Unlock()
	if ev == nil {
		return nil
	}
	return ev.Loops()
}
