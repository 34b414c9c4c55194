//go:build linux

package eventloop

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// loopConn is a socket owned by an event loop, used as a net.Conn by the
// coroutine serving it: a read or write that would block yields to the
// loop until epoll reports the socket ready (edge-triggered: readable
// and writable remember an event not yet used up) or the deadline
// passes. Close may be called from any goroutine; everything else only
// from the loop's coroutines.
type loopConn struct {
	l  *Loop
	fd int

	readable, writable bool
	// hup says the peer's end (or an error) was reported: it is not
	// reported again, so reads no longer wait for an event.
	hup    bool
	waiter *task
	// parked is the idle session served on this socket when no
	// coroutine waits for it: input, its deadline or a close gives it
	// one.
	parked    Session
	wantWrite bool
	timedOut  bool
	// noWait makes a read that would wait fail with ErrWouldBlock.
	noWait bool
	// dlAt is the deadline of the current wait (unix ns, 0: none),
	// heapAt that of the connection's entry in the loop's timer heap.
	dlAt, heapAt int64
	rdl, wdl     time.Time

	// mu keeps an outside Close from shutting down a descriptor the loop
	// is closing.
	mu     sync.Mutex
	closed atomic.Bool

	laddr, raddr net.Addr
}

var (
	_ net.Conn = (*loopConn)(nil)
	_ Parker   = (*loopConn)(nil)
)

// The socket is non-blocking, so recvfrom and sendto return at once and
// are made as raw system calls: without telling the scheduler, which
// otherwise may judge a sendto that delivers to a local peer (its
// wake-up included) long, hand the loop's P to another thread and make
// the loop take one back afterwards. Measured: 7-10 points of haproxy's
// requests/s at 256 connections (docs/benchmarks.md). epoll_wait, which
// sleeps, stays an ordinary system call.

// wait yields until the socket is ready for reading (or writing), the
// deadline passes or the connection is closed.
func (c *loopConn) wait(write bool, dl time.Time) error {
	t := c.l.cur
	if t == nil {
		panic("eventloop: connection used outside its loop")
	}
	c.waiter, c.wantWrite, c.timedOut = t, write, false
	c.dlAt = 0
	if !dl.IsZero() {
		c.dlAt = dl.UnixNano()
		c.l.timers.arm(c)
	}
	ok := t.yield(struct{}{})
	c.waiter, c.dlAt = nil, 0
	switch {
	case !ok || c.closed.Load():
		return net.ErrClosed
	case c.timedOut:
		return os.ErrDeadlineExceeded
	}
	return nil
}

// Read reads what the socket holds, waiting for it if need be.
func (c *loopConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if c.closed.Load() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		if c.readable || c.hup {
			r, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(c.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0, 0)
			switch e {
			case 0:
				n := int(r)
				if n == 0 {
					return 0, io.EOF
				}
				if n < len(b) {
					c.readable = false // a short read empties the queue; the next data is a new edge
				}
				return n, nil
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				c.readable = false
			default:
				return 0, c.opErr("read", os.NewSyscallError("recvfrom", e))
			}
		}
		if c.past(c.rdl) {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		if c.noWait {
			return 0, ErrWouldBlock
		}
		if err := c.wait(false, c.rdl); err != nil {
			return 0, c.opErr("read", err)
		}
	}
}

// FillNow fills br with what the socket holds, without waiting:
// ErrWouldBlock if it holds nothing. An idle connection whose socket may
// hold input (a new connection, or one whose last read filled the
// buffer) reads with it before it parks: the read it needs anyway tells
// whether input is there.
func (c *loopConn) FillNow(br *bufio.Reader) error {
	c.noWait = true
	_, err := br.Peek(1)
	c.noWait = false
	return err
}

// MustWait reports whether an idle connection has to wait for input:
// nothing readable, no hang-up, not closed, its read deadline not passed.
func (c *loopConn) MustWait() bool {
	return !c.readable && !c.hup && !c.closed.Load() && !c.past(c.rdl)
}

// waiting reports whether a coroutine, or a parked connection, waits for
// the socket.
func (c *loopConn) waiting() bool { return c.waiter != nil || c.parked != nil }

// Write writes all of b, waiting for room as need be.
func (c *loopConn) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		if c.closed.Load() {
			return n, c.opErr("write", net.ErrClosed)
		}
		if c.writable {
			r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(c.fd), uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n), syscall.MSG_NOSIGNAL, 0, 0)
			switch e {
			case 0:
				n += int(r)
				continue
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				c.writable = false
			default:
				return n, c.opErr("write", os.NewSyscallError("sendto", e))
			}
		}
		if c.past(c.wdl) {
			return n, c.opErr("write", os.ErrDeadlineExceeded)
		}
		if err := c.wait(true, c.wdl); err != nil {
			return n, c.opErr("write", err)
		}
	}
	return n, nil
}

// past reports whether deadline dl (zero: none) passed by the loop's
// clock, which may lag: a deadline it misses is fired by the timers.
func (c *loopConn) past(dl time.Time) bool {
	return !dl.IsZero() && dl.UnixNano() <= c.l.now
}

func (c *loopConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Close closes the connection, from any goroutine: it shuts the socket
// down and queues it for the loop, which closes it before it next waits
// (waking the coroutine waiting on it, or the parked connection, if
// any).
func (c *loopConn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	l := c.l
	c.mu.Lock()
	if c.fd >= 0 {
		syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	}
	c.mu.Unlock()
	l.mu.Lock()
	l.closing = append(l.closing, c)
	l.mu.Unlock()
	l.poke()
	return nil
}

// closeOwn closes the connection from its own coroutine, on the loop: no
// other call can be running on the socket, so it is closed at once,
// without the shutdown and the hand-over to the loop an outside Close
// needs (one system call instead of two per connection).
func (c *loopConn) closeOwn() {
	if c.closed.Swap(true) {
		return // closed from outside: the loop releases it
	}
	c.release()
}

// release removes the socket from the loop and closes it (loop only).
func (c *loopConn) release() {
	c.closed.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return
	}
	if c.l.conns[int32(c.fd)] == c {
		delete(c.l.conns, int32(c.fd))
	}
	syscall.Close(c.fd)
	c.fd = -1
	c.l.open.Add(-1)
	c.l.srv.opts.Conns.Release()
}

// detach takes the socket out of the loop as an ordinary net.Conn (for
// net/http, which serves it from its own goroutines).
func (c *loopConn) detach() (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 || c.closed.Load() {
		return nil, net.ErrClosed
	}
	syscall.EpollCtl(c.l.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
	delete(c.l.conns, int32(c.fd))
	c.l.open.Add(-1)
	f := os.NewFile(uintptr(c.fd), "ingress")
	c.fd = -1
	c.closed.Store(true)
	nc, err := net.FileConn(f) // a duplicate on the runtime's poller
	f.Close()
	if lim := c.l.srv.opts.Conns; lim != nil {
		if err != nil {
			lim.Release()
			return nil, err
		}
		nc = netlimit.NewConn(nc, lim) // its slot goes with it
	}
	return nc, err
}

func (c *loopConn) LocalAddr() net.Addr {
	if c.laddr == nil && c.fd >= 0 {
		if sa, err := syscall.Getsockname(c.fd); err == nil {
			c.laddr = sockaddrAddr(sa)
		}
	}
	if c.laddr == nil {
		return &net.TCPAddr{}
	}
	return c.laddr
}

func (c *loopConn) RemoteAddr() net.Addr {
	if c.raddr == nil {
		return &net.TCPAddr{}
	}
	return c.raddr
}

func (c *loopConn) SetDeadline(t time.Time) error {
	c.rdl, c.wdl = t, t
	return nil
}

func (c *loopConn) SetReadDeadline(t time.Time) error {
	c.rdl = t
	return nil
}

func (c *loopConn) SetWriteDeadline(t time.Time) error {
	c.wdl = t
	return nil
}

// Dial connects to addr (host:port) from the loop's coroutine c runs
// on: a non-blocking connect whose completion the coroutine waits for
// (timeout bounds it). Host names are looked up and dialled by the
// runtime, outside the loop, and the connection then moved into it. The
// connection belongs to the loop: use it from its coroutines only.
func (l *Loop) Dial(addr string, timeout time.Duration) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return l.adoptDialed(addr, timeout)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	family := syscall.AF_INET
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if ap.Addr().Is6() {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	raddr := net.TCPAddrFromAddrPort(ap)
	dialErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: raddr, Err: err}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, dialErr(os.NewSyscallError("socket", err))
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	c, err := l.register(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, dialErr(err)
	}
	c.raddr = raddr
	err = syscall.Connect(fd, sa)
	if err == syscall.EINPROGRESS || err == syscall.EINTR {
		c.writable = false
		if werr := c.wait(true, time.Now().Add(timeout)); werr != nil {
			c.Close()
			return nil, dialErr(werr)
		}
		var soerr int
		soerr, err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err == nil && soerr != 0 {
			err = syscall.Errno(soerr)
		}
	}
	if err != nil {
		c.Close()
		return nil, dialErr(os.NewSyscallError("connect", err))
	}
	return c, nil
}

// adoptDialed dials addr with the runtime's dialer (host names) on a
// goroutine of its own, so that the lookup and connect do not hold up the
// loop, and moves the connection into the loop.
func (l *Loop) adoptDialed(addr string, timeout time.Duration) (net.Conn, error) {
	var nc net.Conn
	var err error
	l.outside(func() { nc, err = net.DialTimeout("tcp", addr, timeout) })
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	fd, err := dupSocket(nc)
	if err == nil {
		var c *loopConn
		if c, err = l.register(fd); err == nil {
			c.raddr = nc.RemoteAddr()
			return c, nil
		}
		syscall.Close(fd)
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: nc.RemoteAddr(), Err: err}
}
