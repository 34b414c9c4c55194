package proxy

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/ingress/eventloop"
	"github.com/wharf-project/wharf/internal/netlimit"
)

// FastServer serves an entry point with the HTTP/1.1 fast path: one
// goroutine (or, on plain entry points with ServerOptions.EventLoop, one
// event-loop coroutine) per client connection that reads requests into a
// reused buffer and does the round trip to a server itself, over the
// proxy's own keep-alive pools. On a TLS entry point (ServerOptions.TLS)
// it does the handshake itself and serves HTTP/1.1 the same way; clients
// that chose HTTP/2 by ALPN go to net/http. Connections the fast path
// does not handle (HTTP/2 prior knowledge, upgrades, Expect, chunked
// request bodies, HTTP/1.0, malformed or oversized-for-the-buffer
// requests, routes with a custom transport or https servers) are handed,
// with the bytes already read, to a net/http server running the entry
// point's Handler.
type FastServer struct {
	p    *Proxy
	ep   string
	opts ServerOptions
	// slow serves the connections handed off.
	slow    *http.Server
	handoff *handoffListener

	// idleGrace is how long a goroutine-served connection waits for its
	// next request with its buffers before it gives them back.
	idleGrace time.Duration

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*fastConn]struct{}
	ev       *eventloop.Server
	shutting atomic.Bool
	handoffs atomic.Int64
	// tlsErrors counts failed TLS handshakes.
	tlsErrors atomic.Int64
	// stopAccept is closed by Close and Shutdown: an accept waiting for
	// a free connection slot stops on it.
	stopAccept chan struct{}
	stopOnce   sync.Once
	// pools are the server connection pools of the connections served
	// by goroutines, loopPools those of each event loop.
	pools     poolSet
	loopMu    sync.Mutex
	loopPools map[*eventloop.Loop]*poolSet
}

// NewFastServer returns the fast entry point server of entryPoint; with
// ServerOptions.FastHTTP1 off every connection goes to the net/http
// server of NewServer.
func (p *Proxy) NewFastServer(entryPoint string, opts ServerOptions) *FastServer {
	opts.ReadHeaderTimeout = cmp.Or(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	opts.MaxHeaderBytes = cmp.Or(opts.MaxHeaderBytes, DefaultMaxHeaderBytes)
	opts.IdleTimeout = cmp.Or(opts.IdleTimeout, DefaultIdleTimeout)
	slow := NewServer("", p.Handler(entryPoint), opts)
	slow.ConnContext = handedTLS
	s := &FastServer{p: p, ep: entryPoint, opts: opts, slow: slow, conns: map[*fastConn]struct{}{},
		stopAccept: make(chan struct{}), idleGrace: idleGrace}
	p.keep(&s.pools)
	return s
}

// idleGrace is FastServer.idleGrace: longer than the pause between a
// busy client's requests, short next to a browser's idle keep-alive.
const idleGrace = 2 * time.Second

// tlsStateKey keys, in a connection's context, the TLS state of a TLS
// connection the fast path handed to net/http behind a replayConn (which
// hides the *tls.Conn from net/http, so r.TLS is not set).
type tlsStateKey struct{}

// handedTLS is the net/http server's ConnContext: it keeps the TLS state
// of a TLS connection handed off with buffered bytes.
func handedTLS(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*replayConn); ok {
		if tc, ok := rc.Conn.(*tls.Conn); ok {
			st := tc.ConnectionState()
			return context.WithValue(ctx, tlsStateKey{}, &st)
		}
	}
	return ctx
}

// Serve serves entryPoint on l until l fails or the server is closed (it
// then returns http.ErrServerClosed), as NewFastServer(entryPoint,
// opts).Serve(l).
func (p *Proxy) Serve(l net.Listener, entryPoint string, opts ServerOptions) error {
	return p.NewFastServer(entryPoint, opts).Serve(l)
}

// Serve accepts connections on l and serves them until Close or Shutdown
// (it then returns http.ErrServerClosed) or l fails. With event loops
// the loops accept on their own copies of l's socket and l itself is
// closed at once: stop such a server with Close or Shutdown, not by
// closing l.
func (s *FastServer) Serve(l net.Listener) error {
	if !s.opts.FastHTTP1 || s.p.opts.Transport != nil {
		if s.opts.Conns != nil {
			l = netlimit.NewListener(l, s.opts.Conns, s.log())
		}
		if s.opts.TLS != nil {
			return s.slow.ServeTLS(l, "", "")
		}
		return s.slow.Serve(l)
	}
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln = l
	s.handoff = newHandoffListener(l.Addr())
	s.mu.Unlock()
	go s.slow.Serve(s.handoff)
	if s.opts.TLS != nil {
		// TLS connections are served from goroutines: the handshake and
		// the record layer are work per connection an event loop would
		// serialize.
		return s.accept(l, s.serveTLS)
	}
	if s.opts.EventLoop && eventloop.Available {
		if err := s.serveLoops(l); !errors.Is(err, eventloop.ErrNotServed) {
			return err
		}
	}
	return s.accept(l, s.serveGoroutine)
}

// serveTLS serves a connection to a TLS entry point from a goroutine of
// its own: the handshake (bounded by ReadHeaderTimeout), then HTTP/2
// (ALPN h2) goes to the net/http server and HTTP/1.1 to the fast path.
func (s *FastServer) serveTLS(c net.Conn) bool {
	tc := tls.Server(c, s.opts.TLS)
	fc := s.newConn(tc)
	if fc == nil {
		c.Close()
		return false
	}
	go func() {
		c.SetDeadline(time.Now().Add(s.opts.ReadHeaderTimeout))
		err := tc.Handshake()
		c.SetDeadline(time.Time{})
		if err != nil {
			s.forget(fc)
			tc.Close()
			s.tlsErrors.Add(1)
			cmp.Or(s.opts.Logger, slog.Default()).Debug("ingress TLS handshake failed", "remote", c.RemoteAddr().String(), "err", err)
			return
		}
		st := tc.ConnectionState()
		if st.NegotiatedProtocol == "h2" {
			s.forget(fc)
			s.handoffs.Add(1)
			s.handoff.put(tc) // net/http finds the *tls.Conn and speaks HTTP/2
			return
		}
		fc.tls = &st
		fc.serve()
	}()
	return true
}

// serveGoroutine serves c from a goroutine of its own; false once the
// server is shut down.
func (s *FastServer) serveGoroutine(c net.Conn) bool {
	fc := s.newConn(c)
	if fc == nil {
		c.Close()
		return false
	}
	go fc.serve()
	return true
}

// accept accepts connections on l and gives each to serve, until l fails
// or serve returns false; after a shutdown it returns
// http.ErrServerClosed. Temporary failures (out of descriptors) are
// retried with a growing pause.
func (s *FastServer) accept(l net.Listener, serve func(net.Conn) bool) error {
	pause := backoff.Backoff{Min: 5 * time.Millisecond, Max: time.Second, NoJitter: true}
	lim := s.opts.Conns
	for {
		if !lim.TryAcquire() {
			lim.Warn(s.log(), "ingress connection cap reached: not accepting until a connection closes", l.Addr().String(), nil)
			if !lim.Acquire(s.stopAccept) {
				return http.ErrServerClosed
			}
		}
		c, err := l.Accept()
		if err != nil {
			lim.Release()
			if s.shutting.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			timeout := errors.As(err, &ne) && ne.Timeout()
			if timeout || netlimit.IsOutOfDescriptors(err) {
				delay := pause.Next()
				if !timeout {
					s.log().Warn("ingress accept paused", append([]any{"err", err, "for", delay}, netlimit.BudgetAttrs()...)...)
				}
				time.Sleep(delay)
				continue
			}
			return err
		}
		pause.Reset()
		if lim != nil {
			c = netlimit.NewConn(c, lim)
		}
		if !serve(c) {
			return http.ErrServerClosed
		}
	}
}

// addr is the address the server listens on, for logs.
func (s *FastServer) addr() string {
	if s.handoff == nil {
		return ""
	}
	return s.handoff.Addr().String()
}

// log is the server's logger.
func (s *FastServer) log() *slog.Logger { return s.p.log }

// Handoffs counts the connections handed to net/http so far.
func (s *FastServer) Handoffs() int64 { return s.handoffs.Load() }

// TLSErrors counts the TLS handshakes that failed (or timed out) so far.
func (s *FastServer) TLSErrors() int64 { return s.tlsErrors.Load() }

// stopAccepting marks the server shut down and stops its event loops
// accepting, waiting (a few seconds at most) until they closed their
// copies of the listening socket, so that the port is free when Close
// and Shutdown return.
func (s *FastServer) stopAccepting() {
	s.mu.Lock()
	s.shutting.Store(true)
	ev := s.ev
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stopAccept) })
	if ev != nil {
		ev.Stop()
	}
}

// Close closes the listener and all connections at once.
func (s *FastServer) Close() error {
	s.stopAccepting()
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	for fc := range s.conns {
		fc.c.Close()
	}
	if s.handoff != nil {
		s.handoff.Close()
	}
	s.mu.Unlock()
	return s.slow.Close()
}

// Shutdown closes the listener, then idle connections as they become
// idle, until none is left or ctx ends; handed-off connections are shut
// down by their net/http server.
func (s *FastServer) Shutdown(ctx context.Context) error {
	s.stopAccepting()
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !s.closeIdle() {
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
	return s.slow.Shutdown(ctx)
}

// closeIdle closes the idle connections and reports whether none is
// left.
func (s *FastServer) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for fc := range s.conns {
		if !fc.active.Load() {
			fc.c.Close()
		}
	}
	return len(s.conns) == 0
}

// newConn registers a connection, or returns nil when shutting down.
func (s *FastServer) newConn(c net.Conn) *fastConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return nil
	}
	fc := &fastConn{s: s, p: s.p, c: c, pools: &s.pools}
	s.conns[fc] = struct{}{}
	return fc
}

// forget unregisters a connection that was closed or handed off.
func (s *FastServer) forget(fc *fastConn) {
	s.mu.Lock()
	delete(s.conns, fc)
	s.mu.Unlock()
}

// handoffListener is a net.Listener whose Accept yields the connections
// the fast path hands to net/http.
type handoffListener struct {
	addr   net.Addr
	ch     chan net.Conn
	done   chan struct{}
	closed sync.Once
}

var _ net.Listener = (*handoffListener)(nil)

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next handed-off connection.
func (h *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

// put hands c over; it closes c when the listener is closed.
func (h *handoffListener) put(c net.Conn) {
	select {
	case h.ch <- c:
	case <-h.done:
		c.Close()
	}
}

// Close stops Accept.
func (h *handoffListener) Close() error {
	h.closed.Do(func() { close(h.done) })
	return nil
}

// Addr is the address of the real listener.
func (h *handoffListener) Addr() net.Addr { return h.addr }

// replayConn is a connection whose reads first return the bytes the fast
// path had buffered but not consumed.
type replayConn struct {
	net.Conn
	r io.Reader
}

// Read reads the buffered bytes, then from the connection.
func (c *replayConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// newReplayConn wraps c so the bytes buffered in br are read first. The
// buffered bytes are copied out so br can be reused.
func newReplayConn(c net.Conn, br *bufio.Reader) net.Conn {
	n := br.Buffered()
	if n == 0 {
		return c
	}
	b, _ := br.Peek(n)
	return &replayConn{Conn: c, r: io.MultiReader(bytes.NewReader(append([]byte(nil), b...)), c)}
}
