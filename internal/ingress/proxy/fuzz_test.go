package proxy

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzRequestHead feeds the fast path's request-head parser what a
// client may send. The search for the head's end must find the same end
// when the bytes arrive in two parts; a head the fast path serves (it
// parses, and its target too, else net/http gets it) must
// read the same (method, target, host, length, fields) to net/http; and
// the request it forwards must read, to a server, as that same request
// with no field or line smuggled in. Seeds are here and in
// testdata/fuzz/FuzzRequestHead.
func FuzzRequestHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /p?q=1 HTTP/1.1\r\nHost: web.minipot\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: a:8080\r\nContent-Length: 5\r\nConnection: close, X-Drop\r\nX-Drop: 1\r\n\r\nhello",
		"GET /%41b HTTP/1.1\r\nHost: [::1]:80\r\nX-Forwarded-For: 10.0.0.1\r\nX-Request-Id: abc\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n folded: x\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: keep-alive, Content-Length\r\n\r\nhello",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		end, bare := findHeadEnd(data, 0)
		checkSplitSearch(t, data, end, bare)
		if end == 0 || bare {
			return
		}
		block := string(data[:end])
		var h fastHead
		if !parseHead(block, &h) {
			return
		}
		fc := &fastConn{head: h, hdr: http.Header{}, remoteAddr: "192.0.2.1:4000", remoteIP: "192.0.2.1"}
		r := fc.fill()
		if r == nil {
			return // a target net/http judges: handed off
		}
		checkAgainstNetHTTP(t, block, &h)
		checkForwarded(t, block, &h, r)
	})
}

// checkSplitSearch checks that findHeadEnd, searching again from three
// bytes before the end of a first part that held no complete head (as
// readHead does), finds what one search of the whole finds; the parts
// end at a few places, each byte of short inputs.
func checkSplitSearch(t *testing.T, data []byte, end int, bare bool) {
	t.Helper()
	step := max(1, len(data)/16)
	for k := 0; k < len(data); k += step {
		e, b := findHeadEnd(data[:k], 0)
		if e != 0 || b {
			continue
		}
		if e2, b2 := findHeadEnd(data, max(0, k-3)); e2 != end || b2 != bare {
			t.Fatalf("split at %d: findHeadEnd = %d, %v; whole: %d, %v", k, e2, b2, end, bare)
		}
	}
}

// checkAgainstNetHTTP checks that net/http reads block as the fast path
// parsed it into h.
func checkAgainstNetHTTP(t *testing.T, block string, h *fastHead) {
	t.Helper()
	std, err := http.ReadRequest(bufio.NewReader(strings.NewReader(block)))
	if err != nil {
		t.Fatalf("fast path accepted %q, net/http refuses it: %v", block, err)
	}
	if std.Method != h.method || std.RequestURI != h.uri || std.Host != h.host {
		t.Fatalf("%q: fast path read %s %s host %q, net/http %s %s host %q", block, h.method, h.uri, h.host,
			std.Method, std.RequestURI, std.Host)
	}
	if std.ContentLength != h.contentLength || len(std.TransferEncoding) > 0 {
		t.Fatalf("%q: fast path body length %d, net/http %d (transfer encoding %v)", block, h.contentLength,
			std.ContentLength, std.TransferEncoding)
	}
	for _, fl := range h.fields {
		if strings.ContainsAny(fl.k+fl.v, "\r\n\x00") || !slices.Contains(std.Header[fl.k], fl.v) {
			t.Fatalf("%q: field %q: %q, net/http has %q", block, fl.k, fl.v, std.Header[fl.k])
		}
	}
}

// checkForwarded checks that the request the fast path writes to a
// server reads, to net/http, as the client's: same method, target, host
// and body length, no transfer coding, and each field it kept intact.
func checkForwarded(t *testing.T, block string, h *fastHead, r *http.Request) {
	t.Helper()
	b := &backend{raw: "http://10.0.0.1:80", url: &url.URL{Scheme: "http", Host: "10.0.0.1:80"}}
	for _, passHost := range []bool{true, false} {
		fc := &fastConn{head: *h, remoteIP: "192.0.2.1"}
		fc.ex.reqID = "id-1"
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		fc.writeRequest(w, b, &service{passHost: passHost}, r, true)
		w.Flush()
		sent := out.String()
		fwd, err := http.ReadRequest(bufio.NewReader(&out))
		if err != nil {
			t.Fatalf("%q forwarded as %q, which does not parse: %v", block, sent, err)
		}
		host := h.host
		if !passHost {
			host = b.url.Host
		}
		if fwd.Method != h.method || fwd.RequestURI != h.uri || fwd.Host != host ||
			fwd.ContentLength != h.contentLength || len(fwd.TransferEncoding) > 0 {
			t.Fatalf("%q forwarded as %q: %s %s host %q length %d", block, sent, fwd.Method,
				fwd.RequestURI, fwd.Host, fwd.ContentLength)
		}
		if got := fwd.Header.Get("X-Request-Id"); got != "id-1" {
			t.Fatalf("%q forwarded as %q: X-Request-Id %q", block, sent, got)
		}
	}
}

// FuzzResponseHead feeds the fast path's response parser what a server
// (a jail's code, so untrusted) may send, after a request of either
// method. An accepted head has a status of three digits, then a space
// or the line's end, that net/http reads alike, and a consistent body
// framing; a
// length the fast path frames the body by is the one net/http reads.
// Chunk-size lines parse as hexadecimal. Seeds are here and in
// testdata/fuzz/FuzzResponseHead.
func FuzzResponseHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nbody until close",
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Line\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 1\n\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		end, bare := findHeadEnd(data, 0)
		checkSplitSearch(t, data, end, bare)
		if end == 0 || bare {
			return
		}
		var r respHead
		if err := parseResp(data[:end], method, &r); err == nil {
			checkResponse(t, data[:end], method, &r)
		}
		rest := data[end:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			checkChunkSize(t, rest[:i+1])
		}
	})
}

// checkResponse checks an accepted response head.
func checkResponse(t *testing.T, raw []byte, method string, r *respHead) {
	t.Helper()
	if r.code < 100 || r.code > 999 || r.code == http.StatusSwitchingProtocols || raw[12] != ' ' && raw[12] != '\r' {
		t.Fatalf("%q: status %d accepted", raw, r.code) // the client reads the status line as sent
	}
	switch {
	case r.frame == byLength && r.length < 0, r.frame == byChunks && r.length != -1, r.frame == byClose && !r.close:
		t.Fatalf("%q: framing %d with length %d, close %v", raw, r.frame, r.length, r.close)
	}
	std, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: method})
	if err != nil {
		return // net/http is stricter about some fields the fast path passes on as they are
	}
	if std.StatusCode != r.code {
		t.Fatalf("%q: status %d, net/http reads %d", raw, r.code, std.StatusCode)
	}
	if r.frame == byLength && len(std.TransferEncoding) == 0 && std.ContentLength != r.length {
		t.Fatalf("%q: body length %d, net/http reads %d", raw, r.length, std.ContentLength)
	}
}

// checkChunkSize checks chunkSize against strconv.
func checkChunkSize(t *testing.T, line []byte) {
	t.Helper()
	n, ok := chunkSize(line)
	if !ok {
		return
	}
	s := strings.TrimRight(string(line), "\r\n")
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	want, err := strconv.ParseInt(strings.TrimRight(s, " \t"), 16, 64)
	if err != nil || want != n || n < 0 {
		t.Fatalf("chunk size line %q read as %d, strconv: %d, %v", line, n, want, err)
	}
}
