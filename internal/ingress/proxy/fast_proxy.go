package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

var (
	errBadResponse = errors.New("malformed response from server")
	errClientGone  = errors.New("client connection failed")
	// errStale says a pooled connection the server had closed failed a
	// request that cannot be sent again; the server is not taken out.
	errStale = errors.New("pooled connection closed by the server")
)

// hopHeaders are the request headers not forwarded, besides those the
// proxy sets itself and those the Connection header names.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true, "X-Real-Ip": true,
	"X-Request-Id": true, "Host": true,
}

// proxy sends r to a server of rt's service and streams the response
// back; orig says r is the parsed request itself (no middleware changed
// it), so its header lines are forwarded in order.
func (fc *fastConn) proxy(rt *route, r *http.Request, orig bool) outcome {
	bc, resp, err := fc.roundTrip(rt, r, orig)
	if err != nil {
		return fc.backendError(err)
	}
	out, err := fc.respond(bc, resp, rt.svc)
	if err != nil {
		fc.rec.code = http.StatusBadGateway
		if !errors.Is(err, errClientGone) {
			fc.p.log.Warn("ingress response aborted", "service", rt.svc.name, "server", fc.ex.server.raw,
				"request_id", fc.ex.reqID, "reason", err)
		}
		return closeConn
	}
	return out
}

// backendError answers a request no server answered.
func (fc *fastConn) backendError(err error) outcome {
	code := http.StatusBadGateway
	var ne net.Error
	switch {
	case errors.Is(err, errStale):
	case errors.Is(err, errNoServer):
		code = http.StatusServiceUnavailable
	case errors.Is(err, errClientGone):
		fc.rec.code = 499
		return closeConn
	case errors.As(err, &ne) && ne.Timeout():
		code = http.StatusGatewayTimeout
	}
	fc.p.log.Warn("ingress backend error", "service", fc.ex.svc.name, "request_id", fc.ex.reqID, "err", err)
	fc.rec.code = code
	closing := fc.head.contentLength > 0 || fc.head.close // the body may be half read
	fc.simple(nil, code, "", closing)
	if closing {
		return closeConn
	}
	return keepOpen
}

// roundTrip sends the request to a server, retrying idempotent requests
// without a body on the next server when one refuses or resets the
// connection before answering (and taking it out for PassiveDownFor). It
// returns the connection with the response head parsed.
func (fc *fastConn) roundTrip(rt *route, r *http.Request, orig bool) (*bconn, *respHead, error) {
	p, ex := fc.p, &fc.ex
	lb := rt.svc.lb
	tried := fc.tried[:0]
	var lastErr error = errNoServer
	for range lb.size() {
		b := ex.stickyHit
		if b == nil || contains(tried, b) {
			b = lb.next(fc.now.UnixNano(), tried)
		}
		if b == nil {
			break
		}
		tried = append(tried, b)
		bc, resp, err := fc.attempt(b, rt.svc, r, orig)
		if err == nil {
			ex.server = b
			b.state.requests.Add(1)
			return bc, resp, nil
		}
		lastErr = err
		if errors.Is(err, errClientGone) || errors.Is(err, errStale) || !connFailure(err) {
			return nil, nil, err
		}
		b.state.markDown(time.Now().UnixNano(), p.opts.PassiveDownFor)
		p.log.Warn("ingress server down", "service", rt.svc.name, "server", b.raw, "for", p.opts.PassiveDownFor, "err", err)
		if !fc.replayable() {
			return nil, nil, err
		}
	}
	return nil, nil, lastErr
}

// replayable is the fast path's replayable: idempotent, no body.
func (fc *fastConn) replayable() bool {
	return fc.head.contentLength == 0 && replayable(&http.Request{Method: fc.head.method})
}

// attempt does one exchange with b: on a pooled connection when there
// is one (a stale one is replaced by a new connection once, if the
// request can be sent again), else on a new one.
func (fc *fastConn) attempt(b *backend, s *service, r *http.Request, orig bool) (*bconn, *respHead, error) {
	p := fc.p
	bc := fc.pool(b).get(fc.now, p.opts.IdleConnTimeout)
	if bc != nil {
		resp, err := fc.exchangeHead(bc, b, s, r, orig)
		if err == nil {
			return bc, resp, nil
		}
		bc.close()
		if !connFailure(err) {
			return nil, nil, err
		}
		if !fc.replayable() {
			return nil, nil, fmt.Errorf("%w: %w", errStale, err)
		}
	}
	bc, err := fc.dial(b)
	if err != nil {
		return nil, nil, err
	}
	resp, err := fc.exchangeHead(bc, b, s, r, orig)
	if err != nil {
		bc.close()
		return nil, nil, err
	}
	return bc, resp, nil
}

// exchangeHead writes the request (and its body) to bc and reads the
// response head, forwarding 1xx answers to the client.
func (fc *fastConn) exchangeHead(bc *bconn, b *backend, s *service, r *http.Request, orig bool) (*respHead, error) {
	bt := fc.p.bodyTimeout()
	bc.setWriteDeadline(time.Now().Add(bt))
	fc.writeRequest(bc.bw, b, s, r, orig)
	if n := fc.head.contentLength; n > 0 {
		progress := func() { fc.bodyProgress(); bc.bodyProgress(bt) }
		progress()
		if err := copyBody(bc.bw, fc.br, n, progress); err != nil {
			return nil, err
		}
	}
	if err := bc.bw.Flush(); err != nil {
		return nil, err
	}
	sent := fc.now
	if fc.head.contentLength > 0 {
		sent = time.Now() // after the body, however long it took
	}
	bc.setDeadline(sent.Add(fc.p.opts.ResponseHeaderTimeout))
	for {
		resp, err := fc.readRespHead(bc)
		if err != nil {
			return nil, err
		}
		if resp.code >= 200 || resp.code == http.StatusSwitchingProtocols {
			return resp, nil
		}
		fc.bw.Write(resp.raw) // 1xx: pass on, read on
		bc.br.Discard(len(resp.raw))
	}
}

// copyBody copies n bytes of request body from the client to the server,
// flushing the server side before each client read that would block;
// progress, called before each, moves both sides' deadlines on.
func copyBody(w interface {
	io.Writer
	Flush() error
}, br interface {
	Buffered() int
	Peek(int) ([]byte, error)
	Discard(int) (int, error)
}, n int64, progress func()) error {
	for n > 0 {
		if br.Buffered() == 0 {
			progress()
			if err := w.Flush(); err != nil {
				return err
			}
			if _, err := br.Peek(1); err != nil {
				return errClientGone
			}
		}
		k := int(min(int64(br.Buffered()), n))
		b, _ := br.Peek(k)
		if _, err := w.Write(b); err != nil {
			return err
		}
		br.Discard(k)
		n -= int64(k)
	}
	return nil
}

// writeRequest writes the request head to the server: the client's
// header lines less hop-by-hop ones, then the forwarding headers.
func (fc *fastConn) writeRequest(w interface {
	io.Writer
	io.StringWriter
	WriteByte(byte) error
}, b *backend, s *service, r *http.Request, orig bool) {
	h := &fc.head
	uri := h.uri
	if !orig {
		uri = r.URL.RequestURI()
	}
	w.WriteString(h.method)
	w.WriteByte(' ')
	w.WriteString(uri)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	if s.passHost {
		w.WriteString(h.host)
	} else {
		w.WriteString(b.url.Host)
	}
	w.WriteString("\r\n")
	line := func(k, v string) {
		if hopHeaders[k] || dropped(h.connDrop, k) {
			return
		}
		w.WriteString(k)
		w.WriteString(": ")
		w.WriteString(v)
		w.WriteString("\r\n")
	}
	if orig {
		for _, f := range h.fields {
			line(f.k, f.v)
		}
	} else {
		for k, vs := range r.Header {
			for _, v := range vs {
				line(k, v)
			}
		}
	}
	w.WriteString("X-Forwarded-For: ")
	for _, prior := range r.Header["X-Forwarded-For"] {
		w.WriteString(prior)
		w.WriteString(", ")
	}
	w.WriteString(fc.remoteIP)
	w.WriteString("\r\nX-Real-Ip: ")
	w.WriteString(fc.remoteIP)
	w.WriteString("\r\nX-Forwarded-Host: ")
	w.WriteString(h.host)
	if fc.tls != nil {
		w.WriteString("\r\nX-Forwarded-Proto: https\r\nX-Request-Id: ")
	} else {
		w.WriteString("\r\nX-Forwarded-Proto: http\r\nX-Request-Id: ")
	}
	w.WriteString(fc.ex.reqID)
	w.WriteString("\r\n\r\n")
}

func dropped(names []string, k string) bool {
	for _, n := range names {
		if n == k {
			return true
		}
	}
	return false
}

// lowerHas reports whether the comma-separated list v has tok, ignoring
// case.
func lowerHas(v []byte, tok string) bool {
	for len(v) > 0 {
		var t []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, nil
		}
		if strings.EqualFold(string(bytes.TrimSpace(t)), tok) {
			return true
		}
	}
	return false
}
