package eventloop

import (
	"bufio"
	"errors"
	"log/slog"
	"net"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// Handler serves the connections a Server's loops accept.
type Handler interface {
	// Open returns the session serving c, accepted by loop l, or nil to
	// refuse it (c is then closed). It runs on the loop.
	Open(l *Loop, c net.Conn) Session
}

// Session is one connection being served, on its loop's coroutines.
type Session interface {
	// Serve serves the connection until it ends (the session closes or
	// detaches it) or idles: it then reports parked, and the loop calls
	// Serve again, from a coroutine, once input, the read deadline or a
	// close comes. A parked session should hold no buffers.
	Serve() (parked bool)
}

// Options configure a Server.
type Options struct {
	// Loops is the number of event loops (at least one).
	Loops int
	// Handler serves the connections.
	Handler Handler
	// Conns, when set, caps the connections the loops hold: accepted
	// ones and those they dial. A connection's slot is released when it
	// closes, or moves with it when it is detached.
	Conns *netlimit.Limiter
	// Logger gets the loops' errors (slog.Default() if nil).
	Logger *slog.Logger
	// Ended, when set, is called on a loop's goroutine once the loop
	// ended and closed its sockets (what the handler kept for the loop
	// can go).
	Ended func(*Loop)
}

var (
	// ErrWouldBlock is what a read without waiting (a Parker's FillNow)
	// finds when the socket holds nothing.
	ErrWouldBlock = errors.New("eventloop: nothing to read yet")
	// ErrNotServed says a listener cannot be served from event loops
	// here (not a TCP listener, or no epoll).
	ErrNotServed = errors.New("listener not served from event loops")
	// ErrStopped is what Serve returns once Stop was called.
	ErrStopped = errors.New("eventloop: server stopped")
)

// Parker is what a loop's connections offer a session that idles: while
// MustWait, it should return parked from Serve, holding no buffers;
// FillNow fills a reader with what the socket holds without waiting
// (ErrWouldBlock if nothing).
type Parker interface {
	MustWait() bool
	FillNow(br *bufio.Reader) error
}
