//go:build linux

package eventloop

import (
	"cmp"
	"errors"
	"iter"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// Available reports whether a Server can serve from event loops here.
const Available = true

// Server serves one listening socket from event loops: each loop is an
// epoll set of the client and server connections it owns, and coroutines
// running the handler's sessions, one per busy connection (an idle
// keep-alive connection is parked without one; see task). A connection
// read or write that would block yields to the loop, which resumes the
// coroutine when epoll reports the socket ready: the connections of a
// loop are served by its one goroutine, events in batches, without the
// runtime's poller or a goroutine wake-up per event.
type Server struct {
	opts Options
	log  *slog.Logger
	addr string

	mu    sync.Mutex
	loops []*Loop
	// stop is closed by Stop; unlistened, set (under mu) once loops hold
	// copies of the listening socket, is closed when none does any more.
	stop       chan struct{}
	stopOnce   sync.Once
	unlistened chan struct{}
}

// New returns a Server; Serve starts it.
func New(opts Options) *Server {
	opts.Loops = max(1, opts.Loops)
	return &Server{opts: opts, log: cmp.Or(opts.Logger, slog.Default()), stop: make(chan struct{})}
}

// Loops returns the server's loops (none before Serve).
func (s *Server) Loops() []*Loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loops
}

// Stop makes the loops stop accepting and end once their connections are
// gone, and waits (a few seconds at most) until they closed their copies
// of the listening socket, so that the port is free when it returns.
func (s *Server) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.mu.Lock()
	unlistened := s.unlistened
	s.mu.Unlock()
	if unlistened != nil {
		select {
		case <-unlistened:
		case <-time.After(5 * time.Second):
		}
	}
}

// Loop is one event loop of a Server.
type Loop struct {
	srv   *Server
	ep    int
	wake  int // eventfd: new connections, outside closes, shutdown
	conns map[int32]*loopConn
	cur   *task
	// tasks counts the client connections being served (busy or
	// parked); free holds the coroutines that serve none now.
	tasks int
	free  []*task
	// freeLow is the fewest coroutines free since trimAt (unix ns);
	// trimTasks then stops those no connection needed.
	freeLow int
	trimAt  int64
	timers  timerHeap
	events  []syscall.EpollEvent
	// lfd is the loop's own duplicate of the listening socket, in its
	// epoll set (exclusive: a new connection wakes one loop), -1 once
	// the loop stopped accepting. acceptAt, when set, is when accepting
	// resumes after running out of descriptors (unix ns).
	lfd      int
	acceptAt int64
	// unlistened is closed once lfd is (or was never opened).
	unlistened     chan struct{}
	unlistenedOnce sync.Once
	// now is the clock read at the top of the loop's last turn (unix ns):
	// a deadline before it has passed (a later one is left to the timers).
	now int64

	// idle is set while the loop waits in epoll_wait; outside callers
	// then write to wake.
	idle atomic.Bool
	// open counts the sockets in the loop.
	open atomic.Int64
	mu   sync.Mutex
	// closing holds the connections closed from outside the loop.
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

// Sockets counts the sockets in the loop: connections accepted and
// dialled, not yet closed or detached.
func (l *Loop) Sockets() int64 { return l.open.Load() }

// accepted is a client socket the loop accepted.
type accepted struct {
	fd    int
	raddr net.Addr
}

// task is a coroutine of the loop: it serves a client connection until
// the connection ends or idles (parks), then another. Coroutines are
// as many as connections were busy at once in the last second or so
// (trimTasks), not as all connections: an idle keep-alive connection,
// or a new one that sent nothing yet, holds no stack and no buffer.
type task struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	sess  Session
	c     *loopConn
}

// newLoop creates a loop's epoll set and wake-up eventfd.
func newLoop(s *Server) (*Loop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(ep)
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	l := &Loop{srv: s, ep: ep, wake: int(wake), lfd: -1, conns: map[int32]*loopConn{}, events: make([]syscall.EpollEvent, 256),
		unlistened: make(chan struct{})}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(wake)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(wake), &ev); err != nil {
		syscall.Close(ep)
		syscall.Close(int(wake))
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return l, nil
}

// Serve serves ln from the loops until Stop (it then returns
// ErrStopped). Each loop gets a duplicate of the listening socket in its
// epoll set and accepts itself; ln (Go's copy, which the runtime's poller
// would wake for every new connection) is closed, so Stop stops the
// server, not closing ln. Should every loop fail, it returns a listener
// on the same socket for the caller to serve some other way (ErrNotServed
// when ln is no TCP listener).
func (s *Server) Serve(ln net.Listener) (net.Listener, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, ErrNotServed
	}
	s.addr = ln.Addr().String()
	unlistened := make(chan struct{})
	s.mu.Lock()
	select {
	case <-s.stop:
		s.mu.Unlock()
		return nil, ErrStopped
	default:
	}
	s.unlistened = unlistened
	s.mu.Unlock()
	closeUnlistened := sync.OnceFunc(func() { close(unlistened) })
	defer closeUnlistened() // on every way out; once the loops let go on shutdown
	loops := make([]*Loop, s.opts.Loops)
	spare := -1 // a duplicate kept for the caller, should every loop fail
	undo := func() {
		for _, l := range loops {
			if l != nil {
				l.release()
			}
		}
		if spare >= 0 {
			syscall.Close(spare)
		}
	}
	var err error
	if spare, err = dupSocket(tl); err != nil {
		return nil, err
	}
	for i := range loops {
		if loops[i], err = newLoop(s); err == nil {
			err = loops[i].listen(tl)
		}
		if err != nil {
			undo()
			return nil, err
		}
	}
	ln.Close()
	failed := make(chan struct{}, len(loops))
	s.mu.Lock()
	s.loops = loops
	s.mu.Unlock()
	for _, l := range loops {
		go func() {
			l.run()
			if s.opts.Ended != nil {
				s.opts.Ended(l)
			}
			l.release()
			if l.failed.Load() {
				failed <- struct{}{}
			}
		}()
	}
	// The loops end by themselves once shut down and left without
	// connections: Serve returns once they closed their listening
	// sockets, as net/http's returns once its listener is closed.
	defer func() {
		for _, l := range loops {
			l.shutdown()
		}
	}()
	for range loops {
		select {
		case <-s.stop:
			syscall.Close(spare)
			for _, l := range loops {
				l.shutdown()
			}
			for _, l := range loops {
				<-l.unlistened
			}
			return nil, ErrStopped
		case <-failed:
		}
	}
	// Every loop failed (and closed its listening socket): the caller
	// accepts.
	f := os.NewFile(uintptr(spare), "ingress listener")
	gl, err := net.FileListener(f) // a duplicate of its own on the runtime's poller
	f.Close()
	if err != nil {
		return nil, err
	}
	return gl, nil
}

// listen adds a duplicate of the listening socket to the loop's epoll
// set.
func (l *Loop) listen(tl *net.TCPListener) error {
	fd, err := dupSocket(tl)
	if err != nil {
		return err
	}
	l.lfd = fd
	if err := l.watchListener(); err != nil {
		syscall.Close(fd)
		l.lfd = -1
		return err
	}
	return nil
}

// watchListener (re)adds the listening socket to the epoll set:
// level-triggered and exclusive, so a new connection wakes one loop
// waiting in epoll_wait rather than all.
func (l *Loop) watchListener() error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollExclusive, Fd: int32(l.lfd)}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, l.lfd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// epollExclusive is EPOLLEXCLUSIVE (Linux 4.5).
const epollExclusive = 1 << 28

// acceptBatch bounds the connections a loop accepts in one turn, so that
// a flood of them does not starve the connections it serves.
const acceptBatch = 64

// acceptPause is how long a loop stops accepting when the process or the
// system is out of descriptors or memory.
const acceptPause = 100 * time.Millisecond

// accept accepts what the listening socket holds (up to acceptBatch) and
// serves each (start).
func (l *Loop) accept() {
	lim := l.srv.opts.Conns
	for range acceptBatch {
		if !lim.TryAcquire() {
			// At the connection cap: leave the queue to the kernel and
			// look again shortly (connections closing free slots).
			lim.Warn(l.srv.log, "ingress connection cap reached: not accepting until a connection closes", l.srv.addr, nil)
			l.pauseAccept(capPause)
			return
		}
		fd, sa, err := syscall.Accept4(l.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			lim.Release()
		}
		switch err {
		case nil:
			l.start(accepted{fd: fd, raddr: sockaddrAddr(sa)})
			continue
		case syscall.EAGAIN:
			return
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
			// The queue stays readable: stop watching it for a while
			// instead of spinning on the error.
			l.srv.log.Warn("ingress accept paused", append([]any{"err", os.NewSyscallError("accept4", err), "for", acceptPause},
				netlimit.BudgetAttrs()...)...)
			l.pauseAccept(acceptPause)
			return
		default:
			l.srv.log.Error("ingress accept failed", "err", os.NewSyscallError("accept4", err))
			return
		}
	}
}

// capPause is how long a loop at the connection cap waits before it
// looks for a free slot again.
const capPause = 10 * time.Millisecond

// pauseAccept stops watching the listening socket for d.
func (l *Loop) pauseAccept(d time.Duration) {
	syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, l.lfd, nil)
	l.acceptAt = time.Now().Add(d).UnixNano()
}

// resumeAccept watches the listening socket again once a pause is over;
// it returns how many milliseconds are left of it (-1: none).
func (l *Loop) resumeAccept(now int64) int {
	if l.acceptAt == 0 || l.lfd < 0 {
		return -1
	}
	if now < l.acceptAt {
		return int((time.Duration(l.acceptAt-now) + time.Millisecond - 1) / time.Millisecond)
	}
	l.acceptAt = 0
	if err := l.watchListener(); err != nil {
		l.srv.log.Error("ingress accept not resumed", "err", err)
	}
	return -1
}

// unlisten closes the loop's listening socket (loop only).
func (l *Loop) unlisten() {
	if l.lfd >= 0 {
		syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, l.lfd, nil)
		syscall.Close(l.lfd)
		l.lfd = -1
	}
	l.unlistenedOnce.Do(func() { close(l.unlistened) })
}

// dupSocket returns a non-blocking, close-on-exec duplicate of the socket
// of c (a connection or listener of the net package).
func dupSocket(c any) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, ErrNotServed
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

// poke wakes the loop if it waits in epoll_wait.
func (l *Loop) poke() {
	if l.idle.Load() {
		l.signal()
	}
}

// signal writes to the loop's eventfd, ending its epoll_wait.
func (l *Loop) signal() {
	var one = [8]byte{1}
	syscall.Write(l.wake, one[:])
}

// shutdown makes the loop stop once its connections are gone.
func (l *Loop) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stop = true
	if !l.released { // a failed loop may be gone already
		l.signal()
	}
}

// release closes the epoll set and eventfd of a stopped loop.
func (l *Loop) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = true
	if l.lfd >= 0 {
		syscall.Close(l.lfd)
		l.lfd = -1
	}
	l.unlistenedOnce.Do(func() { close(l.unlistened) })
	syscall.Close(l.ep)
	syscall.Close(l.wake)
}

// run is the loop: wait for events, wake the connections whose socket
// became ready, fire deadlines, accept new connections, close what outside
// callers closed; until shut down with no connection left.
func (l *Loop) run() {
	for {
		now := time.Now()
		l.now = now.UnixNano()
		l.fire(now)
		l.trimTasks()
		if l.drain() {
			return
		}
		l.idle.Store(true)
		l.mu.Lock()
		queued := len(l.closing) > 0 || len(l.done) > 0
		l.mu.Unlock()
		if queued {
			l.idle.Store(false)
			continue
		}
		timeout := l.timers.wait(now)
		if t := l.resumeAccept(l.now); t >= 0 && (timeout < 0 || t < timeout) {
			timeout = t
		}
		if len(l.free) > KeepFree {
			t := max(0, int((l.trimAt-l.now+int64(time.Millisecond)-1)/int64(time.Millisecond)))
			if timeout < 0 || t < timeout {
				timeout = t
			}
		}
		n, err := syscall.EpollWait(l.ep, l.events, timeout)
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
			if int(ev.Fd) == l.lfd {
				l.accept()
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
			if c.waiting() && (c.wantWrite && c.writable || !c.wantWrite && c.readable) {
				l.wakeConn(c)
			}
		}
	}
}

// drain resumes the coroutines back from work outside the loop, stops
// accepting once shut down, and closes the connections closed from
// outside; it reports whether the loop should end.
func (l *Loop) drain() bool {
	l.mu.Lock()
	closing, done, stop := l.closing, l.done, l.stop
	l.closing, l.done = nil, nil
	l.mu.Unlock()
	if stop {
		l.unlisten() // shut down: no new connections
	}
	for _, t := range done {
		l.away--
		l.resume(t)
	}
	for _, c := range closing {
		l.wakeConn(c) // its read or write now fails
		c.release()
	}
	if stop && l.tasks == 0 {
		for _, c := range l.conns {
			c.release()
		}
		l.stopTasks()
		return true
	}
	return false
}

// outside runs f on a goroutine of its own while the calling coroutine
// waits, the loop serving its other connections meanwhile: for what may
// block, such as looking up a name.
func (l *Loop) outside(f func()) {
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
func (l *Loop) fail(err error) {
	l.srv.log.Error("ingress event loop failed; its connections are closed", "err", err)
	l.failed.Store(true)
	l.mu.Lock()
	l.stop = true
	l.closing = nil
	l.mu.Unlock()
	l.unlisten()
	for _, c := range l.conns {
		c.closed.Store(true) // reads and writes fail from here on
	}
	for _, c := range l.conns {
		l.wakeConn(c)
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
	l.stopTasks()
	if l.tasks != 0 {
		l.srv.log.Error("ingress event loop failed with connections still being served", "connections", l.tasks)
	}
}

// start serves an accepted socket.
func (l *Loop) start(a accepted) {
	c, err := l.register(a.fd)
	if err != nil {
		syscall.Close(a.fd)
		l.srv.opts.Conns.Release()
		return
	}
	c.raddr = a.raddr
	sess := l.srv.opts.Handler.Open(l, c)
	if sess == nil {
		c.release()
		return
	}
	l.tasks++
	l.serve(sess, c)
}

// serve gives sess to a free coroutine, or a new one, and runs it.
func (l *Loop) serve(sess Session, c *loopConn) {
	var t *task
	if n := len(l.free); n > 0 {
		t = l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.freeLow = min(l.freeLow, n-1)
	} else {
		t = &task{}
		t.next, t.stop = iter.Pull(func(yield func(struct{}) bool) {
			t.yield = yield
			l.work(t)
		})
	}
	t.sess, t.c = sess, c
	l.resume(t)
}

// work is a coroutine's life: serve the session given, park it when it
// idles or count it out when it ends, wait to be given another.
func (l *Loop) work(t *task) {
	for {
		if t.sess.Serve() {
			l.park(t.sess, t.c)
		} else {
			l.tasks--
		}
		t.sess, t.c = nil, nil
		l.free = append(l.free, t)
		if !t.yield(struct{}{}) {
			return
		}
	}
}

// park leaves c's socket waiting for input, its deadline or a close
// with no coroutine (wakeConn gives sess one).
func (l *Loop) park(sess Session, c *loopConn) {
	c.parked, c.wantWrite, c.timedOut = sess, false, false
	c.dlAt = 0
	if !c.rdl.IsZero() {
		c.dlAt = c.rdl.UnixNano()
		l.timers.arm(c)
	}
}

// wakeConn resumes what waits for c: the coroutine waiting on it, or a
// coroutine given its parked session.
func (l *Loop) wakeConn(c *loopConn) {
	if t := c.waiter; t != nil {
		l.resume(t)
		return
	}
	if sess := c.parked; sess != nil {
		c.parked, c.dlAt = nil, 0
		l.serve(sess, c)
	}
}

// KeepFree is how many free coroutines a loop keeps however long they
// stay unused.
const KeepFree = 8

// trimTasks stops, once a second, the free coroutines beyond KeepFree
// that no connection needed during that second: after a burst of busy
// connections the loop goes back to what it uses (their stacks are
// freed). The least recently used go first.
func (l *Loop) trimTasks() {
	if l.now < l.trimAt {
		return
	}
	if n := min(l.freeLow, len(l.free)) - KeepFree; n > 0 {
		for _, t := range l.free[:n] {
			t.stop()
		}
		l.free = append(l.free[:0], l.free[n:]...)
		clear(l.free[len(l.free):cap(l.free)])
	}
	l.freeLow = len(l.free)
	l.trimAt = l.now + int64(time.Second)
}

// stopTasks ends the free coroutines of a loop that ends.
func (l *Loop) stopTasks() {
	for _, t := range l.free {
		t.stop()
	}
	l.free = nil
}

// resume runs t until it waits again or is free.
func (l *Loop) resume(t *task) {
	prev := l.cur
	l.cur = t
	t.next()
	l.cur = prev
}

// register adds a socket to the loop's epoll set, edge-triggered.
func (l *Loop) register(fd int) (*loopConn, error) {
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

// fire wakes the connections whose deadline passed (a waiting coroutine
// sees timedOut; a parked connection finds its deadline past).
func (l *Loop) fire(now time.Time) {
	at := now.UnixNano()
	for {
		c, ok := l.timers.expired(at)
		if !ok {
			return
		}
		c.timedOut = true
		l.wakeConn(c)
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
		case !c.waiting() || c.dlAt == 0:
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

// CloseOwn closes a connection from the coroutine (or goroutine) serving
// it: a loop connection is closed at once, without the hand-over to the
// loop an outside Close needs.
func CloseOwn(c net.Conn) {
	if lc, ok := c.(*loopConn); ok {
		lc.closeOwn()
		return
	}
	c.Close()
}

// Detach returns c as an ordinary net.Conn, served by the runtime's
// poller: a loop connection leaves its loop (with its connection slot).
func Detach(c net.Conn) (net.Conn, error) {
	if lc, ok := c.(*loopConn); ok {
		return lc.detach()
	}
	return c, nil
}
