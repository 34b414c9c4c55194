//go:build linux

package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/eventloop"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// anonFDs maps this process's descriptors that are anonymous inodes
// (epoll sets, eventfds) to their kind.
func anonFDs(t *testing.T) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "anon_inode:") {
			out[fd] = l
		}
	}
	return out
}

// TestLoopLeavesNoDescriptors serves keep-alive and closing clients from
// the event loops, drops a server from the table (its pooled connections
// are closed from outside the loop), closes the server, and checks that
// every socket, epoll set and eventfd is gone and the backend saw its
// connections close.
func TestLoopLeavesNoDescriptors(t *testing.T) {
	var open atomic.Int64
	back := countingBackend(t, &open)
	http.DefaultClient.CloseIdleConnections()
	before := openFDs(t)
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), FastHTTP1: true, EventLoop: true})
	served := make(chan error, 1)
	go func() { served <- fs.Serve(l) }()
	url := "http://" + l.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	client := &http.Client{Transport: tr}
	for i := range 20 {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Close = i%2 == 0
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if open.Load() == 0 {
		t.Fatal("no pooled connection to the backend")
	}
	// Idle client connections closed from outside the loops, as Shutdown
	// does every 10 ms (a connection the client's transport opened late
	// may still be on its way in), leave them, the server still running.
	waitLoopSockets(t, fs, func(n int64) bool { fs.closeIdle(); return n == loopPooled(fs) }, "only the pooled backend connections")
	tr.CloseIdleConnections()
	p.Update(cfg(nil, nil)) // the server leaves: its pool is closed from this goroutine
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n != 0 {
		t.Errorf("%d backend connections still open after the server left the table", n)
	}
	waitLoopSockets(t, fs, func(n int64) bool { return n == 0 }, "none")
	tr.CloseIdleConnections()
	fs.Close()
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	for openFDs(t) > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after Close, %d before", after, before)
	}
}

// waitLoopSockets waits until ok holds for the number of sockets in fs's
// event loops.
func waitLoopSockets(t *testing.T, fs *FastServer, ok func(int64) bool, want string) {
	t.Helper()
	count := func() int64 {
		var n int64
		for _, l := range fs.eventLoops() {
			n += l.Sockets()
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for !ok(count()) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := count(); !ok(n) {
		t.Errorf("%d sockets in the event loops, want %s", n, want)

	}
}

// loopPooled counts the idle server connections in fs's loops' pools.
func loopPooled(fs *FastServer) int64 {
	fs.loopMu.Lock()
	defer fs.loopMu.Unlock()
	var n int64
	for _, ps := range fs.loopPools {
		ps.m.Range(func(_, v any) bool {
			fp := v.(*fastPool)
			fp.mu.Lock()
			n += int64(len(fp.idle))
			fp.mu.Unlock()
			return true
		})
	}
	return n
}

// fullListener listens on a loopback port with a backlog of one, never
// accepting, and fills its queue: connects to it then hang.
func fullListener(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	for range 8 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 300*time.Millisecond)
		if err != nil {
			return port // the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the listen queue never filled")
	return 0
}

// TestLoopDialsHostNamesOutside routes to a server named by host name
// whose connect hangs: while that dial waits (up to DialTimeout), the one
// event loop goes on answering requests for another service, and the
// waiting request then fails with a gateway error.
func TestLoopDialsHostNamesOutside(t *testing.T) {
	port := fullListener(t)
	fast := namedBackend(t, "F")
	p := New(Options{Logger: discardLogger(), DialTimeout: 2 * time.Second})
	p.Update(cfg([]*config.Router{router("slow", hostRule("slow.minipot"), "slow"), router("fast", hostRule("fast.minipot"), "fast")},
		[]*config.Service{svc("slow", fmt.Sprintf("http://localhost:%d", port)), svc("fast", fast.URL)}))
	addr, _ := fastServe(t, p, ServerOptions{EventLoop: true, EventLoops: 1})
	url := "http://" + addr
	slow := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = "slow.minipot"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- err.Error()
			return
		}
		resp.Body.Close()
		slow <- resp.Status
	}()
	time.Sleep(300 * time.Millisecond) // the slow request is dialling
	for i := range 5 {
		start := time.Now()
		if code, body := get(t, url, "fast.minipot"); code != http.StatusOK || body != "F" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("request %d took %v while another connection of the loop dialled", i, d)
		}
	}
	select {
	case s := <-slow:
		t.Fatalf("the request to the hanging server ended before its dial timeout: %s", s)
	default:
	}
	if s := <-slow; !strings.HasPrefix(s, "502") && !strings.HasPrefix(s, "504") {
		t.Errorf("request to the hanging server: %s, want a gateway error", s)
	}
}

// countingBackend answers "ok" and keeps open at the number of its open
// connections.
func countingBackend(t *testing.T, open *atomic.Int64) *httptest.Server {
	back := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	back.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	back.Start()
	t.Cleanup(back.Close)
	return back
}

// TestLoopFailureClosesItsConnections breaks the only event loop's epoll
// descriptor (replaced under it by /dev/null, as a descriptor mix-up
// elsewhere would): the loop logs why and closes its client and server
// connections, new connections are still served (from goroutines), and
// nothing is left open after Close.
func TestLoopFailureClosesItsConnections(t *testing.T) {
	var open atomic.Int64
	back := countingBackend(t, &open)
	http.DefaultClient.CloseIdleConnections()
	before := openFDs(t)
	var logs syncBuffer
	p := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), FastHTTP1: true, EventLoop: true, EventLoops: 1})
	served := make(chan error, 1)
	known := anonFDs(t)
	go func() { served <- fs.Serve(l) }()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" || open.Load() == 0 {
		t.Fatalf("before the failure: %d %q, %d backend connections", resp.StatusCode, body, open.Load())
	}

	// The loop's epoll set and eventfd: the descriptors of their kinds
	// that Serve opened.
	ep, wake := -1, -1
	for fd, kind := range anonFDs(t) {
		if _, ok := known[fd]; ok {
			continue
		}
		switch kind {
		case "anon_inode:[eventpoll]":
			ep = fd
		case "anon_inode:[eventfd]":
			wake = fd
		}
	}
	if ep < 0 || wake < 0 {
		t.Fatalf("the loop's epoll set (%d) or eventfd (%d) not found", ep, wake)
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(null, ep, syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	syscall.Close(null)
	one := [8]byte{1}
	syscall.Write(wake, one[:]) // the loop wakes; its next epoll_wait fails

	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("client connection of the failed loop: read %v, want EOF", err)
	}
	waitFor(t, "the backend connections closed", func() bool { return open.Load() == 0 })
	if !strings.Contains(logs.String(), "ingress event loop failed") || strings.Contains(logs.String(), "still being served") {
		t.Errorf("log:\n%s", logs.String())
	}
	for i := range 3 {
		if code, body := get(t, "http://"+l.Addr().String(), "x"); code != 200 || body != "ok" {
			t.Fatalf("request %d after the failure: %d %q", i, code, body)
		}
	}
	fs.Close()
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	p.Close() // the goroutines' pooled server connections
	c.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after Close, %d before", after, before)
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			t.Log(e.Name(), l)
		}
	}
}

// TestLoopAcceptPausesWithoutDescriptors fills the accept queue while the
// process may open no descriptor: the loop pauses accepting (rather than
// spinning on EMFILE), says so, and serves the waiting clients once
// descriptors are available again.
func TestLoopAcceptPausesWithoutDescriptors(t *testing.T) {
	back := namedBackend(t, "A")
	var logs syncBuffer
	p := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	l := mustListen(t, "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), FastHTTP1: true, EventLoop: true, EventLoops: 1})
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	if code, body := get(t, "http://"+l.Addr().String(), "x"); code != 200 || body != "A" {
		t.Fatalf("before: %d %q", code, body) // and a pooled server connection for later
	}
	// The clients' sockets are made while descriptors are available.
	socks := make([]int, 4)
	for i := range socks {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		socks[i] = fd
		t.Cleanup(func() { syscall.Close(fd) })
		tv := syscall.Timeval{Sec: 5}
		syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(openFDs(t)) // not one more
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer restore()
	for _, fd := range socks {
		if err := syscall.Connect(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
			restore()
			t.Fatal(err)
		}
		syscall.Write(fd, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	}
	time.Sleep(350 * time.Millisecond) // the loop tries, and pauses
	restore()
	for i, fd := range socks {
		b := make([]byte, 4096)
		n, err := syscall.Read(fd, b)
		for err == syscall.EINTR { // a socket with SO_RCVTIMEO is not restarted after the runtime's signals
			n, err = syscall.Read(fd, b)
		}
		// An answer, 200 as a rule: a descriptor freed elsewhere in the
		// process meanwhile may let a connection in whose server dial
		// then fails (502).
		if err != nil || !strings.HasPrefix(string(b[:max(n, 0)]), "HTTP/1.1 ") {
			t.Errorf("client %d: %v %q", i, err, b[:max(n, 0)])
		}
	}
	if paused := strings.Count(logs.String(), "ingress accept paused"); paused == 0 || paused > 10 {
		t.Errorf("accept paused %d times in 350 ms, want a few:\n%s", paused, logs.String())
	}
}

// TestLoopCloseFreesThePort: once Close or Shutdown returns, no event
// loop holds a copy of the listening socket any more, so the port can be
// bound again at once (an agent that failed to start, say, retries it).
func TestLoopCloseFreesThePort(t *testing.T) {
	for _, shutdown := range []bool{false, true} {
		p := New(Options{Logger: discardLogger()})
		l := mustListen(t, "127.0.0.1:0")
		addr := l.Addr().String()
		fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), FastHTTP1: true, EventLoop: true, EventLoops: 2})
		served := make(chan error, 1)
		go func() { served <- fs.Serve(l) }()
		waitFor(t, "the loops listening", func() bool { return len(fs.eventLoops()) == 2 })
		if shutdown {
			if err := fs.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		} else {
			fs.Close()
		}
		l2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("shutdown %v: the port is still taken: %v", shutdown, err)
		}
		l2.Close()
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
	}
}

// TestLoopParksIdleConnections: keep-alive connections idle between
// requests hold no coroutine and no buffer. 200 of them add (almost) no
// goroutine, each is served again on its next request, a request sent
// in pieces to a parked connection is read whole, and the idle timeout
// and Shutdown still close parked connections.
func TestLoopParksIdleConnections(t *testing.T) {
	back := namedBackend(t, "A")
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	addr, fs := fastServe(t, p, ServerOptions{IdleTimeout: 1500 * time.Millisecond, EventLoop: true, EventLoops: 1})
	ask := func(c net.Conn, br *bufio.Reader, pieces ...string) {
		t.Helper()
		for i, s := range pieces {
			if i > 0 {
				time.Sleep(20 * time.Millisecond) // the connection parks in between
			}
			if _, err := io.WriteString(c, s); err != nil {
				t.Fatal(err)
			}
		}
		if resp, body, err := readResp(t, br, http.MethodGet); err != nil || resp.StatusCode != 200 || body != "A" {
			t.Fatalf("answer: %v %q", err, body)
		}
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	c0, br0 := dialRaw(t, addr)
	ask(c0, br0, req) // the loop's first coroutine and a pooled server connection
	before := runtime.NumGoroutine()
	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	clients := make([]client, 200)
	for i := range clients {
		c, br := dialRaw(t, addr)
		clients[i] = client{c, br}
		ask(c, br, req)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Errorf("200 idle connections added %d goroutines, want (about) none", n)
	}
	// Nor do connections that sent nothing yet, or whose last request
	// filled the read buffer exactly (so the socket might hold more).
	before = runtime.NumGoroutine()
	for range 100 {
		dialRaw(t, addr)
	}
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8142\r\n\r\n"
	exact := head + strings.Repeat("b", fastBufSize-len(head))
	for range 50 {
		c, br := dialRaw(t, addr)
		if resp, body, err := func() (*http.Response, string, error) {
			io.WriteString(c, exact)
			return readResp(t, br, http.MethodPost)
		}(); err != nil || resp.StatusCode != 200 || body != "A" {
			t.Fatalf("%d-byte request: %v %q", len(exact), err, body)
		}
	}
	time.Sleep(100 * time.Millisecond) // well within the idle timeout
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Errorf("100 new connections and 50 after an exactly filled read added %d goroutines, want (about) none", n)
	}
	for _, cl := range clients {
		ask(cl.c, cl.br, req)
	}
	ask(c0, br0, "GET / HT", "TP/1.1\r\nHo", "st: x\r\n\r\n")

	// The idle timeout closes parked connections.
	start := time.Now()
	if _, err := clients[0].br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF at the idle timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v idle, want about 1.5s", d)
	}
	// Shutdown closes the rest (parked, so not active) at once.
	c1, br1 := dialRaw(t, addr)
	ask(c1, br1, req)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := fs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with parked connections: %v", err)
	}
	if _, err := br1.ReadByte(); err != io.EOF {
		t.Errorf("parked connection after shutdown: %v, want EOF", err)
	}
}

// TestLoopTrimsFreeCoroutines: a burst of connections busy at once needs
// a coroutine each; once they idle, the loop stops the coroutines no
// connection needed for a second, keeping a few.
func TestLoopTrimsFreeCoroutines(t *testing.T) {
	const burst = 60
	var entered atomic.Int64
	release := make(chan struct{})
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		<-release
		io.WriteString(w, "A")
	})
	p := New(Options{Logger: discardLogger(), MaxIdleConnsPerHost: burst})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	addr, _ := fastServe(t, p, ServerOptions{EventLoop: true, EventLoops: 1})
	before := runtime.NumGoroutine()
	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	clients := make([]client, burst)
	for i := range clients {
		c, br := dialRaw(t, addr)
		clients[i] = client{c, br}
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	waitFor(t, "every request at the server", func() bool { return entered.Load() == burst })
	close(release)
	for i, cl := range clients {
		if resp, body, err := readResp(t, cl.br, http.MethodGet); err != nil || resp.StatusCode != 200 || body != "A" {
			t.Fatalf("client %d: %v %q", i, err, body)
		}
	}
	// The server's goroutines for its pooled connections stay; the
	// loop's coroutines beyond eventloop.KeepFree go.
	serverSide := burst * 1 // net/http: one goroutine per kept server connection
	deadline := time.Now().Add(5 * time.Second)
	for {
		extra := runtime.NumGoroutine() - before - serverSide
		if extra <= eventloop.KeepFree+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines more than before the burst (beyond the backend's), want at most %d", extra, eventloop.KeepFree+2)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, cl := range clients { // still served
		io.WriteString(cl.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, body, err := readResp(t, cl.br, http.MethodGet); err != nil || resp.StatusCode != 200 || body != "A" {
			t.Fatalf("client %d again: %v %q", i, err, body)
		}
	}
}

// TestLoopMixedClients: for a second, 30 clients on two loops mix whole,
// split and pipelined requests, bodies sent late and pauses (so their
// connections park and wake again), then close or leave their
// connections to the idle timeout; every answer is right, every
// connection left alone is closed by the loop at the idle timeout (not
// before), and Shutdown then ends the loops with no socket left. The idle
// timeout is long next to the pauses a loaded machine puts between an
// active client's steps, so only connections left alone idle out.
func TestLoopMixedClients(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "A%d", n)
	})
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	l := mustListen(t, "127.0.0.1:0")
	const idle = 2 * time.Second
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), IdleTimeout: idle,
		FastHTTP1: true, EventLoop: true, EventLoops: 2})
	served := make(chan error, 1)
	go func() { served <- fs.Serve(l) }()
	addr := l.Addr().String()
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	steps := []struct {
		pieces []string
		pause  time.Duration // between the pieces
		want   []string
	}{
		{[]string{get}, 0, []string{"A0"}},
		{[]string{"GET / HT", "TP/1.1\r\nHost: x\r\n\r\n"}, 5 * time.Millisecond, []string{"A0"}},
		{[]string{get + get}, 0, []string{"A0", "A0"}},
		{[]string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", "hello"}, 3 * time.Millisecond, []string{"A5"}},
		{[]string{"", get}, 20 * time.Millisecond, []string{"A0"}},
	}
	// left is a connection left to the idle timeout, dialled at since:
	// the loop's idle clock starts after one of its requests, and
	// setDeadline leaves a deadline less than a second off alone, so the
	// loop may count from its first one.
	type left struct {
		c     net.Conn
		br    *bufio.Reader
		since time.Time
	}
	var (
		wg     sync.WaitGroup
		leftMu sync.Mutex
		lefts  []left
	)
	errs := make(chan error, 30)
	for g := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			end := time.Now().Add(time.Second)
			for i := 0; time.Now().Before(end); i++ {
				since := time.Now()
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for j := range steps {
					st := steps[(g+i+j)%len(steps)]
					for k, s := range st.pieces {
						if k > 0 {
							time.Sleep(st.pause)
						}
						io.WriteString(c, s)
					}
					for _, want := range st.want {
						resp, body, err := readResp(t, br, http.MethodGet)
						if err != nil || resp.StatusCode != 200 || body != want {
							errs <- fmt.Errorf("client %d, connection %d, step %d: %v %q, want %q", g, i, j, err, body, want)
							c.Close()
							return
						}
					}
				}
				if i%3 == 0 {
					c.Close()
					continue
				}
				leftMu.Lock()
				lefts = append(lefts, left{c, br, since})
				leftMu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(lefts) == 0 {
		t.Fatal("no connection left to the idle timeout")
	}
	for i, lf := range lefts {
		defer lf.c.Close()
		lf.c.SetReadDeadline(time.Now().Add(2*idle + 10*time.Second))
		_, err := lf.br.ReadByte()
		switch closed := time.Now(); {
		case err != io.EOF:
			t.Fatalf("connection %d left idle: %v, want EOF at the idle timeout", i, err)
		case closed.Before(lf.since.Add(idle)):
			t.Fatalf("connection %d left idle closed %v after it was dialled, before the idle timeout %v", i, closed.Sub(lf.since), idle)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := fs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v", err)
	}
	waitLoopSockets(t, fs, func(n int64) bool { return n == 0 }, "0")
}
