package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

var _ http.RoundTripper = (*retryTransport)(nil)

// errNoServer says a service had no server left to try.
var errNoServer = errors.New("no available server")

// retryTransport picks the server of each attempt from the request's
// service: it takes a server that refused or reset the connection before
// answering out for PassiveDownFor and, for idempotent requests without a
// body, tries the next one, at most once per server.
type retryTransport struct {
	p    *Proxy
	base http.RoundTripper
}

// RoundTrip sends req to a server of its service.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := req.Context().Value(ctxKey{}).(*exchange)
	lb := ex.svc.lb
	var tried []*backend
	var lastErr error = errNoServer
	for range lb.size() {
		now := time.Now().UnixNano()
		b := ex.stickyHit
		if b == nil || contains(tried, b) {
			b = lb.next(now, tried)
		}
		if b == nil {
			break
		}
		tried = append(tried, b)
		resp, err := t.base.RoundTrip(target(req, b))
		if err == nil {
			ex.server = b
			b.state.requests.Add(1)
			t.stick(ex, b, resp)
			return resp, nil
		}
		lastErr = err
		if !connFailure(err) {
			return nil, err
		}
		b.state.markDown(time.Now().UnixNano(), t.p.opts.PassiveDownFor)
		t.p.log.Warn("ingress server down", "service", ex.svc.name, "server", b.raw,
			"for", t.p.opts.PassiveDownFor, "err", err)
		if !replayable(req) {
			return nil, err
		}
	}
	return nil, lastErr
}

// target is req aimed at b.
func target(req *http.Request, b *backend) *http.Request {
	out := new(http.Request)
	*out = *req
	u := *req.URL
	u.Scheme, u.Host = b.url.Scheme, b.url.Host
	out.URL = &u
	return out
}

// stick sets the sticky cookie when the client is not yet pinned to b.
func (t *retryTransport) stick(ex *exchange, b *backend, resp *http.Response) {
	s := ex.svc.sticky
	if s == nil || ex.stickyHit == b {
		return
	}
	c := &http.Cookie{Name: s.CookieName, Value: b.cookie, Path: "/", Secure: s.Secure, HttpOnly: s.HTTPOnly}
	resp.Header.Add("Set-Cookie", c.String())
}

// connFailure reports whether err means the server refused or reset the
// connection before any response byte, or could not be reached (not a
// response timeout, nor a client that went away).
func connFailure(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// replayable reports whether req may be sent again: an idempotent method
// and no body (the proxy never buffers bodies).
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
