package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"
)

var _ http.Handler = (*entryHandler)(nil)

// notFoundBody is the body of 404s, short like Traefik's.
const notFoundBody = "404 page not found\n"

// entryHandler serves one entry point.
type entryHandler struct {
	p  *Proxy
	ep string
}

// ctxKey keys the per-request state in the request context.
type ctxKey struct{}

// exchange is the state of one proxied request, shared by the handler,
// Rewrite and the transport.
type exchange struct {
	svc    *service
	reqID  string
	server *backend
	// stickyHit is the backend the sticky cookie named, if up.
	stickyHit *backend
}

// ServeHTTP routes r to its router's service.
func (h *entryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.TLS == nil {
		if st, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
			r.TLS = st // a TLS connection the fast path handed over
		}
	}
	p := h.p
	ex := &exchange{reqID: r.Header.Get("X-Request-Id")}
	if ex.reqID == "" {
		ex.reqID = p.ids.next()
	}
	rec := &recorder{ResponseWriter: w}
	rec.boundWrites(r, p.bodyTimeout())
	rt := p.table.Load().match(h.ep, r)
	defer func() {
		p.finish(rec, r, rt, ex, start, recover())
	}()
	if rt == nil {
		rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rec.Header().Set("X-Content-Type-Options", "nosniff")
		rec.WriteHeader(http.StatusNotFound)
		io.WriteString(rec, notFoundBody)
		return
	}
	for _, mw := range rt.mws {
		if r = mw(rec, r); r == nil {
			return
		}
	}
	ex.svc = rt.svc
	if rt.svc.lb.available(start.UnixNano()) == 0 {
		http.Error(rec, "503 no available server", http.StatusServiceUnavailable)
		return
	}
	if rec.rc != nil && r.Body != nil && r.Body != http.NoBody {
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rec.rc, d: rec.bodyTimeout}
	}
	p.rp.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ex)))
}

// rewrite sets the outbound request's forwarding headers; the transport
// picks the server.
func rewrite(pr *httputil.ProxyRequest) {
	ex := pr.In.Context().Value(ctxKey{}).(*exchange)
	in, out := pr.In, pr.Out
	ip, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		ip = in.RemoteAddr
	}
	if prior := in.Header["X-Forwarded-For"]; len(prior) > 0 {
		out.Header.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+ip)
	} else {
		out.Header.Set("X-Forwarded-For", ip)
	}
	out.Header.Set("X-Real-Ip", ip)
	out.Header.Set("X-Forwarded-Host", in.Host)
	out.Header.Set("X-Forwarded-Proto", requestScheme(in))
	out.Header.Set("X-Request-Id", ex.reqID)
	if !ex.svc.passHost {
		out.Host = ""
	}
	if ex.svc.sticky != nil {
		if c, err := in.Cookie(ex.svc.sticky.CookieName); err == nil {
			ex.stickyHit = ex.svc.lb.sticky(c.Value, time.Now().UnixNano())
		}
	}
}

// proxyError answers a request the transport could not complete.
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusBadGateway
	var ne net.Error
	switch {
	case errors.Is(err, errNoServer):
		code = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		code = 499 // client closed the request, as nginx logs it
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		code = http.StatusGatewayTimeout
	}
	ex, _ := r.Context().Value(ctxKey{}).(*exchange)
	if ex != nil && code != 499 {
		p.log.Warn("ingress backend error", "service", ex.svc.name, "request_id", ex.reqID, "err", err)
	}
	w.WriteHeader(code)
}

// recorder remembers the status and size of a response; Unwrap lets
// http.ResponseController reach Flush and Hijack of the real writer.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	// rc, when set, moves the write deadline bodyTimeout ahead before
	// each write of a proxied answer (wdl is the one set last).
	rc          *http.ResponseController
	bodyTimeout time.Duration
	wdl         time.Time
}

func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 || rec.code < 200 {
		rec.code = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if rec.rc != nil {
		if now := time.Now(); now.Add(rec.bodyTimeout).Sub(rec.wdl) >= time.Second {
			rec.wdl = now.Add(rec.bodyTimeout)
			_ = rec.rc.SetWriteDeadline(rec.wdl)
		}
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client.
func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// boundWrites bounds the writes of r's answer: the write deadline is
// BodyTimeout ahead now and again before each write, so a client that
// stops reading cannot hold the connection; a deadline an earlier
// request of the connection left is replaced. An upgrade (a websocket
// that may stay quiet for long) gets none.
func (rec *recorder) boundWrites(r *http.Request, d time.Duration) {
	rc := http.NewResponseController(rec.ResponseWriter)
	if r.Header.Get("Upgrade") != "" {
		_ = rc.SetWriteDeadline(time.Time{})
		return
	}
	rec.rc, rec.bodyTimeout = rc, d
	rec.wdl = time.Now().Add(d)
	_ = rc.SetWriteDeadline(rec.wdl)
}

// Unwrap returns the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
