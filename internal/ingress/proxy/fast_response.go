package proxy

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// framing is how a response body ends.
type framing int

const (
	noBody framing = iota
	byLength
	byChunks
	byClose
)

// respHead is a server's response head, parsed in place in the server
// connection's buffer (valid until discarded).
type respHead struct {
	raw    []byte
	code   int
	http10 bool
	length int64
	frame  framing
	// close says the server will not keep the connection.
	close bool
}

// readRespHead waits for a complete response head from the server,
// sending what the client buffer holds before each read that would
// block.
func (fc *fastConn) readRespHead(bc *bconn) (*respHead, error) {
	from := 0
	for {
		buf, _ := bc.br.Peek(bc.br.Buffered())
		end, bare := findHeadEnd(buf, from)
		switch {
		case bare:
			return nil, errBadResponse
		case end > 0:
			if err := parseResp(buf[:end], fc.head.method, &fc.resp); err != nil {
				return nil, err
			}
			return &fc.resp, nil
		case len(buf) == bc.br.Size():
			return nil, errBadResponse
		}
		from = max(0, len(buf)-3)
		if fc.bw.Buffered() > 0 {
			if err := fc.bw.Flush(); err != nil {
				return nil, errClientGone
			}
		}
		if _, err := bc.br.Peek(len(buf) + 1); err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// parseResp parses a complete response head (through CRLF CRLF) to a
// request with method into r; the body's framing follows RFC 9112.
func parseResp(raw []byte, method string, r *respHead) error {
	*r = respHead{raw: raw, length: -1}
	if len(raw) < 13 || !bytes.HasPrefix(raw, []byte("HTTP/1.")) || raw[8] != ' ' || raw[12] != ' ' && raw[12] != '\r' {
		return errBadResponse // the status is three digits, then a space or the line's end
	}
	r.http10 = raw[7] == '0'
	for _, c := range raw[9:12] {
		if c < '0' || c > '9' {
			return errBadResponse
		}
		r.code = r.code*10 + int(c-'0')
	}
	keepAlive, chunked, te := false, false, false
	ok := eachField(raw, func(_, k, v []byte) {
		switch {
		case equalFold(k, "Connection"):
			r.close = r.close || lowerHas(v, "close")
			keepAlive = keepAlive || lowerHas(v, "keep-alive")
		case equalFold(k, "Content-Length"):
			if n, ok := parseLength(string(v)); ok && (r.length < 0 || r.length == n) {
				r.length = n
			} else {
				r.code = -1
			}
		case equalFold(k, "Transfer-Encoding"):
			te = true
			chunked = bytes.HasSuffix(bytes.ToLower(bytes.TrimSpace(v)), []byte("chunked"))
		}
	})
	if !ok || r.code < 100 {
		return errBadResponse
	}
	if r.http10 && !keepAlive {
		r.close = true
	}
	switch {
	case r.code < 200 || r.code == 204 || r.code == 304 || method == http.MethodHead:
		r.frame = noBody
	case te && chunked:
		r.frame, r.length = byChunks, -1
	case te || r.length < 0:
		r.frame, r.close = byClose, true
	default:
		r.frame = byLength
	}
	if r.code == http.StatusSwitchingProtocols {
		return errBadResponse // never asked for: upgrades go to net/http
	}
	return nil
}

// eachField calls fn with each header line of a head (line, name,
// value); false when a line has no colon.
func eachField(head []byte, fn func(line, k, v []byte)) bool {
	i := bytes.IndexByte(head, '\n')
	rest := head[i+1:]
	for len(rest) > 2 {
		j := bytes.IndexByte(rest, '\n')
		line := rest[:j+1]
		rest = rest[j+1:]
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			return false
		}
		fn(line, line[:c], bytes.TrimSpace(line[c+1:]))
	}
	return true
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if x|0x20 != y|0x20 {
			return false
		}
	}
	return true
}

// hopResponse reports whether a response header is hop-by-hop.
func hopResponse(k []byte, r *respHead) bool {
	switch {
	case equalFold(k, "Connection"), equalFold(k, "Keep-Alive"), equalFold(k, "Proxy-Connection"),
		equalFold(k, "Upgrade"):
		return true
	case equalFold(k, "Content-Length"):
		return r.frame == byChunks
	}
	return false
}

// respond sends the response head and streams the body, then keeps or
// closes the server connection. A server failing mid-body is an error:
// the client connection is then closed, never the response faked whole.
func (fc *fastConn) respond(bc *bconn, r *respHead, s *service) (outcome, error) {
	w := fc.bw
	fc.rec.code = r.code
	w.WriteString("HTTP/1.1")
	line := r.raw[8:]
	w.Write(line[:bytes.IndexByte(line, '\n')+1])
	eachField(r.raw, func(line, k, _ []byte) {
		if !hopResponse(k, r) {
			w.Write(line)
		}
	})
	if s.sticky != nil && fc.ex.stickyHit != fc.ex.server {
		c := &http.Cookie{Name: s.sticky.CookieName, Value: fc.ex.server.cookie, Path: "/",
			Secure: s.sticky.Secure, HttpOnly: s.sticky.HTTPOnly}
		w.WriteString("Set-Cookie: ")
		w.WriteString(c.String())
		w.WriteString("\r\n")
	}
	closing := fc.head.close || r.frame == byClose || fc.s.shutting.Load()
	if closing {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	bc.br.Discard(len(r.raw))
	var err error
	switch r.frame {
	case byLength:
		fc.rec.bytes, err = fc.pump(bc, r.length)
	case byChunks:
		fc.rec.bytes, err = fc.chunks(bc)
	case byClose:
		fc.rec.bytes, err = fc.pump(bc, -1)
	}
	if err != nil || r.close {
		bc.close()
	} else {
		fc.pool(fc.ex.server).put(bc, time.Now(), fc.p.opts.MaxIdleConnsPerHost, fc.p.opts.IdleConnTimeout)
	}
	if err != nil {
		return closeConn, err
	}
	if closing {
		return closeConn, nil
	}
	return keepOpen, nil
}

// fill makes the server's buffer non-empty, first sending what the
// client buffer holds (the read may block: streams flush here).
func (fc *fastConn) fillFrom(bc *bconn) error {
	fc.bodyProgress()
	if err := fc.bw.Flush(); err != nil {
		return errClientGone
	}
	bc.bodyProgress(fc.p.bodyTimeout())
	_, err := bc.br.Peek(1)
	return err
}

// pump copies n body bytes (n < 0: up to EOF) from the server to the
// client.
func (fc *fastConn) pump(bc *bconn, n int64) (int64, error) {
	var total int64
	for n != 0 {
		if bc.br.Buffered() == 0 {
			if err := fc.fillFrom(bc); err != nil {
				if n < 0 && err == io.EOF {
					return total, nil
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return total, err
			}
		}
		k := bc.br.Buffered()
		if n > 0 && int64(k) > n {
			k = int(n)
		}
		b, _ := bc.br.Peek(k)
		if _, err := fc.bw.Write(b); err != nil {
			return total, errClientGone
		}
		bc.br.Discard(k)
		total += int64(k)
		if n > 0 {
			n -= int64(k)
		}
	}
	return total, nil
}

// line returns the server's next line (through LF), still buffered.
func (fc *fastConn) line(bc *bconn) ([]byte, error) {
	for {
		buf, _ := bc.br.Peek(bc.br.Buffered())
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			return buf[:i+1], nil
		}
		if len(buf) == bc.br.Size() {
			return nil, errBadResponse
		}
		fc.bodyProgress()
		if err := fc.bw.Flush(); err != nil {
			return nil, errClientGone
		}
		bc.bodyProgress(fc.p.bodyTimeout())
		if _, err := bc.br.Peek(len(buf) + 1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// copyLine sends the server's next line as is.
func (fc *fastConn) copyLine(bc *bconn) ([]byte, error) {
	l, err := fc.line(bc)
	if err != nil {
		return nil, err
	}
	if _, err := fc.bw.Write(l); err != nil {
		return nil, errClientGone
	}
	bc.br.Discard(len(l))
	return l, nil
}

// chunks passes a chunked body through as is, trailers included, and
// returns the number of data bytes.
func (fc *fastConn) chunks(bc *bconn) (int64, error) {
	var total int64
	for {
		l, err := fc.copyLine(bc)
		if err != nil {
			return total, err
		}
		size, ok := chunkSize(l)
		if !ok {
			return total, errBadResponse
		}
		if size == 0 {
			for {
				l, err := fc.copyLine(bc)
				if err != nil {
					return total, err
				}
				if len(bytes.TrimRight(l, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		n, err := fc.pump(bc, size)
		total += n
		if err != nil {
			return total, err
		}
		if l, err = fc.copyLine(bc); err != nil {
			return total, err
		}
		if len(bytes.TrimRight(l, "\r\n")) != 0 {
			return total, errBadResponse
		}
	}
}

// chunkSize parses a chunk-size line ("1a;ext\r\n").
func chunkSize(l []byte) (int64, bool) {
	l = bytes.TrimRight(l, "\r\n")
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i]
	}
	l = bytes.TrimRight(l, " \t")
	if len(l) == 0 || len(l) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range l {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int64(c-'a'+10)
		case c >= 'A' && c <= 'F':
			n = n<<4 | int64(c-'A'+10)
		default:
			return 0, false
		}
	}
	return n, true
}
