//go:build !linux

package eventloop

import (
	"net"
	"time"
)

// Available reports whether a Server can serve from event loops here:
// only on Linux (epoll) so far.
const Available = false

// Server is the event loops' server of the Linux build; it serves
// nothing here.
type Server struct{}

// New returns a Server that serves nothing.
func New(Options) *Server { return &Server{} }

// Serve returns ErrNotServed.
func (s *Server) Serve(net.Listener) (net.Listener, error) { return nil, ErrNotServed }

// Stop does nothing.
func (s *Server) Stop() {}

// Loops returns none.
func (s *Server) Loops() []*Loop { return nil }

// Loop is an event loop of the Linux build; never created here.
type Loop struct{}

// Sockets is 0.
func (l *Loop) Sockets() int64 { return 0 }

// Dial fails: there are no loops.
func (l *Loop) Dial(string, time.Duration) (net.Conn, error) { return nil, ErrNotServed }

// Detach returns c: only loop connections need detaching.
func Detach(c net.Conn) (net.Conn, error) { return c, nil }

// CloseOwn closes c.
func CloseOwn(c net.Conn) { c.Close() }
