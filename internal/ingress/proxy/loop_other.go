//go:build !linux

package proxy

import (
	"errors"
	"net"
	"time"
)

// loopsAvailable reports whether FastServer can serve from event loops
// here: only on Linux (epoll) so far.
const loopsAvailable = false

// evLoop is the event loop of the Linux build; never created here.
type evLoop struct {
	pools poolSet
}

var errNoLoops = errors.New("event loops not available on this system")

func (s *FastServer) serveLoops(net.Listener) error { return errNoLoops }

func (l *evLoop) dial(*backend, time.Duration) (net.Conn, error) { return nil, errNoLoops }

// detach returns c: only loop connections need detaching.
func detach(c net.Conn) (net.Conn, error) { return c, nil }

// closeOwn closes c.
func closeOwn(c net.Conn) { c.Close() }
