//go:build linux

package proxy

import (
	"errors"
	"iter"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loopsAvailable reports whether FastServer can serve from event loops
// here.
const loopsAvailable = true

// evLoop is one event loop of a FastServer: an epoll set of the client
// and server connections it owns, and a coroutine per client connection
// running the fast path's code (fastConn.serve) unchanged. A connection
// read or write that would block yields to the loop, which resumes the
// coroutine when epoll reports the socket ready: the connections of a
// loop are served by its one goroutine, events in batches, without the
// runtime's poller or a goroutine wake-up per event.
type evLoop struct {
	s      *FastServer
	ep     int
	wake   int // eventfd: new connections, outside closes, shutdown
	conns  map[int32]*loopConn
	cur    *task
	tasks  int
	timers timerHeap
	pools  poolSet
	events []syscall.EpollEvent
	// now is the clock read at the top of the loop's last turn (unix ns):
	// a deadline before it has passed (a later one is left to the timers).
	now int64

	// idle is set while the loop waits in epoll_wait; outside callers
	// then write to wake.
	idle atomic.Bool
	// open counts the sockets in the loop (tests read it).
	open atomic.Int64
	mu   sync.Mutex
	// inbox holds accepted connections for the loop to adopt, closing
	// the connections closed from outside the loop.
	inbox   []accepted
	closing []*loopConn
	// done holds the coroutines whose work outside the loop ended.
	done []*task
	stop bool
	// released is set once the epoll set and eventfd are closed.
	released bool
	// away counts the coroutines waiting for work outside the loop (loop
	// only).
	away int
	// failed is set once epoll_wait failed and the loop ended.
	failed atomic.Bool
}

// accepted is a client socket the accept goroutine handed to a loop.
type accepted struct {
	fd    int
	raddr net.Addr
}

// task is the coroutine serving one client connection.
type task struct {
	next  func() (struct{}, bool)
	yield func(struct{}) bool
}

// newLoop creates a loop's epoll set and wake-up eventfd.
func newLoop(s *FastServer) (*evLoop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(ep)
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	l := &evLoop{s: s, ep: ep, wake: int(wake), conns: map[int32]*loopConn{}, events: make([]syscall.EpollEvent, 256)}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(wake)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(wake), &ev); err != nil {
		syscall.Close(ep)
		syscall.Close(int(wake))
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return l, nil
}

// serveLoops serves ln from Options.EventLoops event loops: this
// goroutine accepts (through the runtime's poller) and deals the sockets
// out in turn. It returns when ln fails or the server is shut down.
func (s *FastServer) serveLoops(ln net.Listener) error {
	if _, ok := ln.(*net.TCPListener); !ok {
		return errNoLoops
	}
	loops := make([]*evLoop, s.p.opts.loops())
	for i := range loops {
		var err error
		if loops[i], err = newLoop(s); err != nil {
			for _, l := range loops[:i] {
				l.release()
			}
			return err
		}
		s.p.addLoopPools(&loops[i].pools)
	}
	s.mu.Lock()
	s.loops = loops
	s.mu.Unlock()
	for _, l := range loops {
		go func() {
			l.run()
			s.p.removeLoopPools(&l.pools)
			l.release()
		}()
	}
	// The loops end by themselves once shut down and left without
	// connections: Serve returns at once, as net/http's does.
	defer func() {
		for _, l := range loops {
			l.shutdown()
		}
	}()
	next := 0
	return s.accept(ln, func(c net.Conn) bool {
		l := loops[next]
		for range loops {
			if !l.failed.Load() {
				break
			}
			next = (next + 1) % len(loops)
			l = loops[next]
		}
		if l.failed.Load() {
			return s.serveGoroutine(c) // every loop failed
		}
		next = (next + 1) % len(loops)
		fd, err := dupSocket(c)
		raddr := c.RemoteAddr()
		c.Close()
		if err == nil {
			l.adopt(accepted{fd: fd, raddr: raddr})
		}
		return true
	})
}

// dupSocket returns a non-blocking, close-on-exec duplicate of c's
// socket.
func dupSocket(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, errNoLoops
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	err = rc.Control(func(s uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = os.NewSyscallError("fcntl", e)
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = derr
	}
	if err == nil {
		syscall.SetNonblock(fd, true)
	}
	return fd, err
}

// errNoLoops says the listener cannot be served from event loops (the
// goroutine fast path then serves it).
var errNoLoops = errors.New("listener not served from event loops")

// adopt queues an accepted socket for the loop.
func (l *evLoop) adopt(a accepted) {
	l.mu.Lock()
	if l.stop {
		l.mu.Unlock()
		syscall.Close(a.fd)
		return
	}
	l.inbox = append(l.inbox, a)
	l.mu.Unlock()
	l.poke()
}

// poke wakes the loop if it waits in epoll_wait.
func (l *evLoop) poke() {
	if l.idle.Load() {
		var one = [8]byte{1}
		syscall.Write(l.wake, one[:])
	}
}

// shutdown makes the loop stop once its connections are gone.
func (l *evLoop) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stop = true
	if !l.released { // a failed loop may be gone already
		var one = [8]byte{1}
		syscall.Write(l.wake, one[:])
	}
}

// release closes the epoll set and eventfd of a stopped loop.
func (l *evLoop) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = true
	syscall.Close(l.ep)
	syscall.Close(l.wake)
}

// run is the loop: wait for events, resume the coroutines whose socket
// became ready, fire deadlines, adopt new sockets, close what outside
// callers closed; until shut down with no connection left.
func (l *evLoop) run() {
	for {
		now := time.Now()
		l.now = now.UnixNano()
		l.fire(now)
		if l.drain() {
			return
		}
		l.idle.Store(true)
		l.mu.Lock()
		queued := len(l.inbox) > 0 || len(l.closing) > 0 || len(l.done) > 0
		l.mu.Unlock()
		if queued {
			l.idle.Store(false)
			continue
		}
		n, err := syscall.EpollWait(l.ep, l.events, l.timers.wait(now))
		l.idle.Store(false)
		if err != nil && err != syscall.EINTR {
			l.fail(err)
			return
		}
		for i := range max(n, 0) {
			ev := l.events[i]
			if int(ev.Fd) == l.wake {
				var b [8]byte
				syscall.Read(l.wake, b[:])
				continue
			}
			c := l.conns[ev.Fd]
			if c == nil {
				continue
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				c.readable = true
			}
			if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				c.hup = true // an end or error already reported: reads never wait again
			}
			if ev.Events&(syscall.EPOLLOUT|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				c.writable = true
			}
			if t := c.waiter; t != nil && (c.wantWrite && c.writable || !c.wantWrite && c.readable) {
				l.resume(t)
			}
		}
	}
}

// drain adopts the queued sockets and closes the connections closed from
// outside; it reports whether the loop should end.
func (l *evLoop) drain() bool {
	l.mu.Lock()
	inbox, closing, done, stop := l.inbox, l.closing, l.done, l.stop
	l.inbox, l.closing, l.done = nil, nil, nil
	l.mu.Unlock()
	for _, t := range done {
		l.away--
		l.resume(t)
	}
	for _, a := range inbox {
		if stop {
			syscall.Close(a.fd)
			continue
		}
		l.start(a)
	}
	for _, c := range closing {
		if t := c.waiter; t != nil {
			l.resume(t) // its read or write now fails
		}
		c.release()
	}
	if stop && l.tasks == 0 {
		for _, c := range l.conns {
			c.release()
		}
		return true
	}
	return false
}

// outside runs f on a goroutine of its own while the calling coroutine
// waits, the loop serving its other connections meanwhile: for what may
// block, such as looking up a name.
func (l *evLoop) outside(f func()) {
	if l.failed.Load() {
		f() // the loop is gone: nothing to hold up
		return
	}
	t := l.cur
	l.away++
	go func() {
		f()
		l.mu.Lock()
		l.done = append(l.done, t)
		l.mu.Unlock()
		l.poke()
	}()
	t.yield(struct{}{})
}

// errLoopFailed refuses new sockets in a loop that failed.
var errLoopFailed = errors.New("ingress event loop failed")

// fail ends a loop whose epoll_wait failed (with a descriptor mixed up,
// say: it has no other errors): the loop takes no more sockets (new
// connections go to the other loops, or to goroutines), closes every
// connection it holds and lets their coroutines run to their end, so
// that nothing is left behind.
func (l *evLoop) fail(err error) {
	l.s.p.log.Error("ingress event loop failed; its connections are closed", "err", err)
	l.failed.Store(true)
	l.mu.Lock()
	l.stop = true
	inbox := l.inbox
	l.inbox, l.closing = nil, nil
	l.mu.Unlock()
	for _, a := range inbox {
		syscall.Close(a.fd)
	}
	for _, c := range l.conns {
		c.closed.Store(true) // reads and writes fail from here on
	}
	for _, c := range l.conns {
		if t := c.waiter; t != nil {
			l.resume(t)
		}
	}
	// The coroutines waiting for work outside the loop: their goroutines
	// still run; wait for them and let the coroutines end.
	for l.away > 0 {
		l.mu.Lock()
		done := l.done
		l.done = nil
		l.mu.Unlock()
		for _, t := range done {
			l.away--
			l.resume(t)
		}
		if l.away > 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, c := range l.conns {
		c.release()
	}
	if l.tasks != 0 {
		l.s.p.log.Error("ingress event loop failed with connections still being served", "connections", l.tasks)
	}
}

// start serves an adopted socket in a new coroutine.
func (l *evLoop) start(a accepted) {
	c, err := l.register(a.fd)
	if err != nil {
		syscall.Close(a.fd)
		return
	}
	c.raddr = a.raddr
	fc := l.s.newConn(c)
	if fc == nil {
		c.release()
		return
	}
	fc.lp = l
	t := &task{}
	t.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		fc.serve()
	})
	l.tasks++
	l.resume(t)
}

// resume runs t until it waits again or ends.
func (l *evLoop) resume(t *task) {
	prev := l.cur
	l.cur = t
	if _, more := t.next(); !more {
		l.tasks--
	}
	l.cur = prev
}

// register adds a socket to the loop's epoll set, edge-triggered.
func (l *evLoop) register(fd int) (*loopConn, error) {
	if l.failed.Load() {
		return nil, errLoopFailed
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	c := &loopConn{l: l, fd: fd, readable: true, writable: true}
	l.conns[int32(fd)] = c
	l.open.Add(1)
	return c, nil
}

// epollET is EPOLLET as the uint32 EpollEvent.Events wants.
const epollET = 1 << 31

// fire resumes the coroutines whose deadline passed.
func (l *evLoop) fire(now time.Time) {
	at := now.UnixNano()
	for {
		c, ok := l.timers.expired(at)
		if !ok {
			return
		}
		c.timedOut = true
		l.resume(c.waiter)
	}
}

// arm makes sure the heap wakes c's wait by its deadline c.dlAt: a
// connection keeps one entry, pushed again only for an earlier deadline
// (a later one is re-armed when the entry comes due), so the heap holds
// about one entry per waiting connection however often they wait.
func (h *timerHeap) arm(c *loopConn) {
	if c.dlAt != 0 && (c.heapAt == 0 || c.dlAt < c.heapAt) {
		h.push(timerEntry{at: c.dlAt, c: c})
		c.heapAt = c.dlAt
	}
}

// timerHeap is a min-heap of connection deadlines; an entry is live
// while its time is its connection's heapAt.
type timerHeap []timerEntry

type timerEntry struct {
	at int64
	c  *loopConn
}

func (h *timerHeap) push(e timerEntry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *timerHeap) pop() timerEntry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timerEntry{}
	s = s[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].at < s[m].at {
			m = l
		}
		if r < n && s[r].at < s[m].at {
			m = r
		}
		if m == i {
			break
		}
		s[m], s[i] = s[i], s[m]
		i = m
	}
	*h = s
	return top
}

// settle pops the entries at the top that are stale or due at or before
// at without a deadline passed (re-arming later deadlines), so the top is
// the next deadline to wait for; it returns the connection whose
// deadline passed, if one did.
func (h *timerHeap) settle(at int64) *loopConn {
	for len(*h) > 0 {
		e := (*h)[0]
		c := e.c
		if e.at != c.heapAt {
			h.pop() // superseded by an earlier deadline
			continue
		}
		if e.at > at {
			return nil
		}
		h.pop()
		c.heapAt = 0
		switch {
		case c.waiter == nil || c.dlAt == 0:
		case c.dlAt <= at:
			c.dlAt = 0
			return c
		default:
			h.arm(c) // the connection waits again, with a later deadline
		}
	}
	return nil
}

// expired returns a waiting connection whose deadline is at or before at.
func (h *timerHeap) expired(at int64) (*loopConn, bool) {
	c := h.settle(at)
	return c, c != nil
}

// wait returns epoll_wait's timeout in milliseconds until the next
// deadline (-1: none), dropping superseded entries on the way.
func (h *timerHeap) wait(now time.Time) int {
	at := now.UnixNano()
	for len(*h) > 0 {
		e := (*h)[0]
		if e.at != e.c.heapAt {
			h.pop()
			continue
		}
		if e.at <= at {
			return 0
		}
		return int((time.Duration(e.at-at) + time.Millisecond - 1) / time.Millisecond)
	}
	return -1
}

// sockaddrAddr converts an accepted peer address.
func sockaddrAddr(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return &net.TCPAddr{}
}

// closeOwn closes a client connection from the coroutine (or goroutine)
// serving it: a loop connection is closed at once (see loopConn.closeOwn).
func closeOwn(c net.Conn) {
	if lc, ok := c.(*loopConn); ok {
		lc.closeOwn()
		return
	}
	c.Close()
}

// detach returns c as an ordinary net.Conn: a loop connection leaves its
// loop.
func detach(c net.Conn) (net.Conn, error) {
	if lc, ok := c.(*loopConn); ok {
		return lc.detach()
	}
	return c, nil
}
