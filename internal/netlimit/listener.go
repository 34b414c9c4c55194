package netlimit

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// Listener is a net.Listener that holds at most its Limiter's cap of
// connections: at the cap, Accept stops taking connections from the
// kernel's queue until one of those it returned is closed.
type Listener struct {
	net.Listener
	lim  *Limiter
	per  *PerClient
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

var _ net.Listener = (*Listener)(nil)

// NewListener wraps ln so that it holds at most lim's cap of
// connections. log gets a warning (at most one a minute) when the cap is
// reached or the process runs out of descriptors; nil means
// slog.Default().
func NewListener(ln net.Listener, lim *Limiter, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.Default()
	}
	return &Listener{Listener: ln, lim: lim, log: log, done: make(chan struct{})}
}

// Limiter is the listener's limiter.
func (l *Listener) Limiter() *Limiter { return l.lim }

// LimitPerClient caps the connections one client address holds at per's
// cap: a connection beyond it is closed as soon as it is accepted. It
// returns l, and must be called before Accept.
func (l *Listener) LimitPerClient(per *PerClient) *Listener {
	l.per = per
	return l
}

// Accept waits for a free slot, then for a connection. The connection
// gives its slot back when closed. A connection from a client that holds
// its per-client cap already is closed, and the next one waited for.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		if !l.lim.TryAcquire() {
			l.warn("connection cap reached: not accepting until a connection closes", nil)
			if !l.lim.Acquire(l.done) {
				return nil, net.ErrClosed
			}
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.lim.Release()
			if IsOutOfDescriptors(err) {
				l.warn("out of file descriptors: accept failed", err)
			}
			return nil, err
		}
		ip, ok := l.per.take(c.RemoteAddr())
		if !ok {
			_ = c.Close()
			l.lim.Release()
			l.lim.Warn(l.log, "per-client connection cap reached: closing the client's new connections", ip, nil)
			continue
		}
		conn := NewConn(c, l.lim)
		if l.per != nil {
			conn.per, conn.ip = l.per, ip
		}
		return conn, nil
	}
}

// Close closes the listener and ends an Accept waiting for a slot.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *Listener) warn(msg string, err error) {
	l.lim.Warn(l.log, msg, l.Addr().String(), err)
}

// IsOutOfDescriptors reports whether err says the process or the system
// ran out of file descriptors (EMFILE, ENFILE).
func IsOutOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// Conn is a connection holding a slot of a Limiter until closed.
type Conn struct {
	net.Conn
	lim    *Limiter
	per    *PerClient
	ip     string
	closed atomic.Bool
}

// NewConn wraps c, which holds a slot of lim, so that closing it gives
// the slot back (once).
func NewConn(c net.Conn, lim *Limiter) *Conn {
	return &Conn{Conn: c, lim: lim}
}

// Close closes the connection and gives its slot back.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if !c.closed.Swap(true) {
		c.lim.Release()
		c.per.give(c.ip)
	}
	return err
}

// SyscallConn is the underlying connection's, so that code which polls
// the socket itself still can.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("netlimit: connection has no file descriptor")
	}
	return sc.SyscallConn()
}

// CloseWrite shuts the writing side down, when the connection can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom lets copies into the connection use the underlying one's
// (splice, sendfile).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// WriteTo lets copies out of the connection use the underlying one's.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := c.Conn.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, struct{ io.Reader }{c.Conn})
}

// Unwrap is the underlying connection.
func (c *Conn) Unwrap() net.Conn { return c.Conn }
