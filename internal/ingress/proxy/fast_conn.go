package proxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/eventloop"
)

// fastBufSize is the size of the fast path's connection buffers; a
// request head that does not fit goes to net/http.
const fastBufSize = 8 << 10

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, fastBufSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, fastBufSize) }}
)

// outcome is what became of a request on the fast path.
type outcome int

const (
	keepOpen  outcome = iota // answered; the connection may carry more
	closeConn                // answered or failed; close the connection
	handOff                  // not consumed; give the connection to net/http
	parked                   // idle, its buffers released: the event loop wakes it on input
)

// fastConn is one client connection on the fast path.
type fastConn struct {
	s *FastServer
	p *Proxy
	// lp is the event loop serving the connection, nil on the goroutine
	// path; pools are the server connection pools it uses (its loop's,
	// or the Proxy's).
	lp     *eventloop.Loop
	pools  *poolSet
	c      net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	active atomic.Bool
	// deadline is the read deadline last set on c; wdeadline the write
	// deadline.
	deadline   time.Time
	wdeadline  time.Time
	remoteIP   string
	remoteAddr string

	head  fastHead
	block string
	req   http.Request
	url   url.URL
	hdr   http.Header
	vals  []string
	ex    exchange
	rec   recorder
	resp  respHead
	tried [8]*backend
	// tls is the connection's TLS state on a TLS entry point, else nil.
	tls *tls.ConnectionState
	// first is the byte that ended an idle TLS connection's wait,
	// read through by br before the connection.
	first firstByte
	// now is when the current request's head was read, or, between
	// requests, when the last one ended: one clock reading serves the
	// balancer, the pool and the deadlines of a request.
	now time.Time
	// served says a request was read: until then the connection may
	// idle for ReadHeaderTimeout only.
	served bool
}

// serve reads and answers requests until the connection ends or is
// handed off (the goroutine path).
func (fc *fastConn) serve() {
	fc.begin()
	fc.finish(fc.loop())
}

// begin readies the connection to be served.
func (fc *fastConn) begin() {
	fc.takeBuffers()
	fc.remoteAddr = fc.c.RemoteAddr().String()
	fc.remoteIP = fc.remoteAddr
	if ip, _, err := net.SplitHostPort(fc.remoteIP); err == nil {
		fc.remoteIP = ip
	}
	fc.hdr = http.Header{}
}

// finish ends the connection as out (closeConn or handOff) says.
func (fc *fastConn) finish(out outcome) {
	fc.s.forget(fc)
	if out == handOff && fc.bw.Flush() == nil {
		fc.c.SetReadDeadline(time.Time{})
		fc.clearWriteDeadline()
		c, err := eventloop.Detach(fc.c)
		if err != nil {
			eventloop.CloseOwn(fc.c)
			fc.release()
			return
		}
		conn := newReplayConn(c, fc.br)
		fc.release()
		fc.s.handoffs.Add(1)
		go fc.s.handoff.put(conn) // an event loop must not wait for net/http's accept
		return
	}
	fc.bw.Flush()
	eventloop.CloseOwn(fc.c)
	fc.release()
}

// firstByte reads b[:n], then from c.
type firstByte struct {
	b [1]byte
	n int
	c net.Conn
}

func (f *firstByte) Read(p []byte) (int, error) {
	if f.n > 0 && len(p) > 0 {
		p[0], f.n = f.b[0], 0
		return 1, nil
	}
	return f.c.Read(p)
}

// takeBuffers gives the connection buffers from the pools.
func (fc *fastConn) takeBuffers() {
	fc.br = readerPool.Get().(*bufio.Reader)
	fc.br.Reset(fc.c)
	fc.bw = writerPool.Get().(*bufio.Writer)
	fc.bw.Reset(fc.c)
}

// release returns the buffers to their pools.
func (fc *fastConn) release() {
	fc.br.Reset(nil)
	fc.bw.Reset(nil)
	readerPool.Put(fc.br)
	writerPool.Put(fc.bw)
	fc.br, fc.bw = nil, nil
}

// loop serves requests until one says to close or hand off.
func (fc *fastConn) loop() outcome {
	for {
		n, out := fc.readHead()
		if out != keepOpen {
			return out
		}
		if out = fc.handle(n); out != keepOpen {
			return out
		}
		if fc.s.shutting.Load() {
			return closeConn
		}
	}
}

// setDeadline sets the read deadline to d unless the one set is within
// a second of it (the timers need not be exact; this spares most calls).
func (fc *fastConn) setDeadline(d time.Time) {
	if !fc.deadline.IsZero() && d.Sub(fc.deadline) < time.Second && fc.deadline.Sub(d) < time.Second {
		return
	}
	fc.deadline = d
	fc.c.SetReadDeadline(d)
}

// clearDeadline removes the read deadline (bodies are not time-bounded).
func (fc *fastConn) clearDeadline() {
	if !fc.deadline.IsZero() {
		fc.deadline = time.Time{}
		fc.c.SetReadDeadline(time.Time{})
	}
}

// readHead waits for a complete request head in the buffer and returns
// its length. Idle connections are bounded by IdleTimeout, heads by
// ReadHeaderTimeout (slowloris) and MaxHeaderBytes (431).
func (fc *fastConn) readHead() (int, outcome) {
	opts := &fc.s.opts
	// lone says the head so far is the byte that ended an idle TLS wait.
	lone := false
	if fc.br.Buffered() == 0 {
		fc.active.Store(false)
		if fc.s.shutting.Load() {
			return 0, closeConn
		}
		if fc.now.IsZero() {
			fc.now = time.Now()
		}
		idle := opts.IdleTimeout
		if !fc.served {
			idle = min(idle, opts.ReadHeaderTimeout)
		}
		idleEnd := fc.now.Add(idle)
		switch pk, loop := fc.c.(eventloop.Parker); {
		case loop && fc.bw.Buffered() == 0:
			// Idle on an event loop: unless input is there, park; the
			// buffers go back to the pools for the busy connections,
			// the coroutine to the loop.
			fc.setDeadline(idleEnd)
			if pk.MustWait() {
				fc.release()
				return 0, parked
			}
			if err := pk.FillNow(fc.br); err == eventloop.ErrWouldBlock {
				fc.release()
				return 0, parked
			}
		case fc.tls != nil && fc.bw.Buffered() == 0:
			// Idle TLS (served by a goroutine): wait for the first
			// byte without buffers. TLS decrypts a whole record: the
			// rest of it stays in the tls.Conn for br's next read,
			// which so needs no header deadline (lone; a client that
			// sent a one-byte record waits under the idle deadline for
			// its next one, and under the header deadline after).
			fc.setDeadline(idleEnd)
			fc.release()
			n, err := fc.c.Read(fc.first.b[:])
			fc.takeBuffers()
			if err != nil || n == 0 {
				return 0, closeConn
			}
			fc.first.c, fc.first.n = fc.c, n
			fc.br.Reset(&fc.first)
			lone = true
		case !loop && fc.bw.Buffered() == 0:
			// Idle on a goroutine: wait with the buffers for idleGrace
			// (a busy client's next request comes sooner, and the
			// deadline is seldom moved), then without them.
			fc.setDeadline(fc.now.Add(min(fc.s.idleGrace, idle)))
			if _, err := fc.br.Peek(1); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(idleEnd) {
				break
			}
			fc.setDeadline(idleEnd)
			fc.release()
			_, err := waitInput(fc.c) // false: it cannot; Peek then waits with buffers
			fc.takeBuffers()
			if err != nil {
				return 0, closeConn
			}
		default:
			fc.setDeadline(idleEnd)
		}
		if _, err := fc.br.Peek(1); err != nil {
			return 0, closeConn
		}
	}
	fc.active.Store(true)
	timed := false
	from := 0
	for {
		buf, _ := fc.br.Peek(fc.br.Buffered())
		end, bare := findHeadEnd(buf, from)
		switch {
		case bare:
			return 0, handOff
		case end > opts.MaxHeaderBytes || end == 0 && len(buf) >= opts.MaxHeaderBytes:
			fc.simple(nil, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large", true)
			return 0, closeConn
		case end > 0:
			return end, keepOpen
		case len(buf) == fc.br.Size():
			return 0, handOff
		}
		if !timed && !lone {
			fc.setDeadline(time.Now().Add(opts.ReadHeaderTimeout))
			timed = true
		}
		lone = false
		from = max(0, len(buf)-3)
		if _, err := fc.br.Peek(len(buf) + 1); err != nil {
			return 0, closeConn // a slow client is cut here
		}
	}
}

// handle answers the request whose head is the next n buffered bytes.
func (fc *fastConn) handle(n int) outcome {
	start := time.Now()
	fc.now, fc.served = start, true
	p := fc.p
	buf, _ := fc.br.Peek(n)
	h := &fc.head
	h.reset()
	fc.block = string(buf)
	if !parseHead(fc.block, h) {
		return handOff
	}
	r := fc.fill()
	if r == nil {
		return handOff
	}
	rt := p.table.Load().match(fc.s.ep, r)
	if rt != nil && !fastService(rt.svc) {
		return handOff
	}
	fc.br.Discard(n)
	fc.setWriteDeadline(start.Add(p.bodyTimeout())) // every write of the answer is bounded
	fc.ex = exchange{reqID: h.reqID}
	if fc.ex.reqID == "" {
		fc.ex.reqID = p.ids.next()
	}
	fc.rec = recorder{}
	out := fc.route(rt, r, start)
	fc.now = p.finish(&fc.rec, r, rt, &fc.ex, start, nil)
	fc.flushIfIdle() // after the accounting, as net/http's handler return
	if h.close && out == keepOpen {
		return closeConn
	}
	return out
}

// fill sets the connection's reused http.Request from the parsed head,
// for rules, middlewares and the access log; nil for a target net/http
// should judge.
func (fc *fastConn) fill() *http.Request {
	h := &fc.head
	fc.url = url.URL{Path: h.path, RawQuery: h.query}
	if strings.IndexByte(h.path, '%') >= 0 {
		u, err := url.ParseRequestURI(h.uri)
		if err != nil {
			return nil
		}
		fc.url = *u
	}
	clear(fc.hdr)
	fc.vals = fc.vals[:0]
	for _, f := range h.fields {
		if prior, ok := fc.hdr[f.k]; ok {
			fc.hdr[f.k] = append(prior, f.v)
			continue
		}
		fc.vals = append(fc.vals, f.v)
		fc.hdr[f.k] = fc.vals[len(fc.vals)-1 : len(fc.vals) : len(fc.vals)]
	}
	fc.req = http.Request{Method: h.method, URL: &fc.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: fc.hdr, Host: h.host, RemoteAddr: fc.remoteAddr, RequestURI: h.uri,
		ContentLength: h.contentLength, Body: http.NoBody, TLS: fc.tls}
	return &fc.req
}

// fastService reports whether the fast path can reach all of s's
// servers (plain http).
func fastService(s *service) bool {
	for i := range s.lb.entries {
		if s.lb.entries[i].b.url.Scheme != "http" {
			return false
		}
	}
	return true
}

// route answers r: 404, a middleware's own answer, 503, or the proxied
// response.
func (fc *fastConn) route(rt *route, r *http.Request, start time.Time) outcome {
	if rt == nil {
		fc.rec.code = http.StatusNotFound
		return fc.answerNoBody(notFoundBody, http.StatusNotFound)
	}
	orig := r
	for _, mw := range rt.mws {
		cw := captureWriter{}
		if r = mw(&cw, r); r == nil {
			fc.rec.code = cw.status()
			fc.rec.bytes = int64(len(cw.body))
			return fc.answerNoBody("", 0, &cw)
		}
	}
	fc.ex.svc = rt.svc
	if rt.svc.lb.available(start.UnixNano()) == 0 {
		fc.rec.code = http.StatusServiceUnavailable
		return fc.answerNoBody("503 no available server\n", http.StatusServiceUnavailable)
	}
	if rt.svc.sticky != nil {
		if c, err := r.Cookie(rt.svc.sticky.CookieName); err == nil {
			fc.ex.stickyHit = rt.svc.lb.sticky(c.Value, start.UnixNano())
		}
	}
	return fc.proxy(rt, r, r == orig)
}

// answerNoBody answers the request itself (with text, or with what a
// middleware captured), after skipping the request's body.
func (fc *fastConn) answerNoBody(text string, code int, cw ...*captureWriter) outcome {
	out := keepOpen
	if !fc.skipBody() || fc.head.close {
		out = closeConn
	}
	if len(cw) > 0 {
		fc.captured(cw[0], out == closeConn)
	} else {
		fc.simple(nil, code, text, out == closeConn)
	}
	if text != "" {
		fc.rec.bytes = int64(len(text))
	}
	return out
}

// skipBody discards a small request body the proxy will not forward;
// false when it is too big to bother, or does not arrive within
// ReadHeaderTimeout (the connection is then closed).
func (fc *fastConn) skipBody() bool {
	n := fc.head.contentLength
	if n == 0 {
		return true
	}
	if n > 256<<10 {
		return false
	}
	fc.setDeadline(time.Now().Add(fc.s.opts.ReadHeaderTimeout))
	_, err := fc.br.Discard(int(n))
	return err == nil
}
