package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// accessLog writes one line per request: the common log format, then the
// request ID, router, server and duration in milliseconds, quoted like
// Traefik's CLF extras:
//
//	10.0.0.1 - - [02/Jan/2026:15:04:05 +0000] "GET /x HTTP/1.1" 200 12 "req-id" "router" "http://10.0.0.2:80" 3ms
//
// A request only formats its line into a buffer; a goroutine of the log's
// own writes the buffer out every accessLogFlush. So no request (and no
// event loop, which serves many) waits for the disk or pays a write per
// line. The buffer is bounded: while the writer is stuck (a full disk, a
// blocked pipe), lines past maxAccessLogPending are dropped and counted,
// never queued without end or waited for.
type accessLog struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte // lines not yet handed to the writer
	lines   int64  // how many
	max     int    // bound on len(buf): maxAccessLogPending
	spare   []byte // the writer's buffer, reused
	dropped atomic.Int64
	// failed counts lines lost to write errors; errLogged when the last
	// write error was reported (one report per minute).
	failed    atomic.Int64
	errLogged time.Time
	log       *slog.Logger
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
}

// accessLogFlush is how often buffered lines are written out.
const accessLogFlush = 100 * time.Millisecond

// maxAccessLogPending bounds the lines waiting for the writer.
const maxAccessLogPending = 1 << 20

// newAccessLog returns nil when w is nil (no access log); else it starts
// the log's writer, which close stops.
func newAccessLog(w io.Writer, log *slog.Logger) *accessLog {
	if w == nil {
		return nil
	}
	a := &accessLog{w: w, log: log, max: maxAccessLogPending, stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

// run writes the buffered lines out every accessLogFlush until close.
func (a *accessLog) run() {
	defer close(a.done)
	t := time.NewTicker(accessLogFlush)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.flush()
		case <-a.stop:
			a.flush()
			return
		}
	}
}

// flush writes out the lines buffered so far.
func (a *accessLog) flush() {
	a.mu.Lock()
	b, n := a.buf, a.lines
	a.buf, a.lines = a.spare[:0], 0
	a.mu.Unlock()
	if len(b) > 0 {
		if _, err := a.w.Write(b); err != nil {
			a.failed.Add(n)
			if time.Since(a.errLogged) > time.Minute {
				a.errLogged = time.Now()
				a.log.Error("ingress access log: lines lost", "lines", n, "err", err)
			}
		}
	}
	a.mu.Lock()
	if cap(b) <= 2*a.max {
		a.spare = b[:0]
	}
	a.mu.Unlock()
}

// close writes out what is buffered and stops the writer; lines after
// it are dropped.
func (a *accessLog) close() {
	if a == nil {
		return
	}
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// line is what one access log line says.
type line struct {
	r        *http.Request
	code     int
	bytes    int64
	reqID    string
	router   string
	server   string
	start    time.Time
	duration time.Duration
}

// write buffers one line for the writer.
func (a *accessLog) write(l line) {
	if a == nil {
		return
	}
	host, _, err := net.SplitHostPort(l.r.RemoteAddr)
	if err != nil {
		host = l.r.RemoteAddr
	}
	user := "-"
	if u, _, ok := l.r.BasicAuth(); ok && u != "" {
		user = u
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.stop:
		a.dropped.Add(1)
		return
	default:
	}
	if len(a.buf) >= a.max {
		a.dropped.Add(1) // the writer is stuck
		return
	}
	b := append(a.buf, host...)
	b = append(b, " - "...)
	b = append(b, user...)
	b = append(b, " ["...)
	b = l.start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	b = append(b, l.r.Method...)
	b = append(b, ' ')
	b = append(b, l.r.RequestURI...)
	b = append(b, ' ')
	b = append(b, l.r.Proto...)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(l.code), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.bytes, 10)
	b = strconv.AppendQuote(append(b, ' '), l.reqID)
	b = strconv.AppendQuote(append(b, ' '), l.router)
	b = strconv.AppendQuote(append(b, ' '), l.server)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.duration.Milliseconds(), 10)
	b = append(b, "ms\n"...)
	a.buf = b
	a.lines++
}

// requestIDs makes request IDs: a random per-process prefix and a
// counter, unique across a pair of proxies and cheap per request.
type requestIDs struct {
	prefix string
	n      *atomic.Uint64
}

func newRequestIDs() requestIDs {
	var b [6]byte
	rand.Read(b[:])
	return requestIDs{prefix: hex.EncodeToString(b[:]) + "-", n: new(atomic.Uint64)}
}

// next returns a new request ID.
func (ids requestIDs) next() string {
	return ids.prefix + strconv.FormatUint(ids.n.Add(1), 16)
}
