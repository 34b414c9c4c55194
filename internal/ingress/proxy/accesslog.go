package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"io"
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
type accessLog struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// newAccessLog returns nil when w is nil (no access log).
func newAccessLog(w io.Writer) *accessLog {
	if w == nil {
		return nil
	}
	return &accessLog{w: w}
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

// write appends one line.
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
	b := a.buf[:0]
	b = append(b, host...)
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
	a.w.Write(b)
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
