package proxy

import (
	"bytes"
	"net/textproto"
	"strings"
)

// field is one header line of a request head, its name canonical.
type field struct{ k, v string }

// fastHead is a request head parsed by the fast path. Its strings point
// into one string copy of the header block.
type fastHead struct {
	method, uri, host string
	path, query       string
	fields            []field
	contentLength     int64
	hasLength         bool
	close             bool
	// connDrop are the header names the Connection header lists.
	connDrop []string
	reqID    string
}

func (h *fastHead) reset() {
	fields, drop := h.fields[:0], h.connDrop[:0]
	*h = fastHead{fields: fields, connDrop: drop}
}

// findHeadEnd returns the length of the head in buf (through the empty
// line), searching from from, or 0; bare reports a head ended by a bare
// LF, which the fast path leaves to net/http.
func findHeadEnd(buf []byte, from int) (end int, bare bool) {
	for i := from; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0, false
		}
		i += j
		switch {
		case i+1 < len(buf) && buf[i+1] == '\n':
			return 0, true
		case i+2 < len(buf) && buf[i+1] == '\r' && buf[i+2] == '\n':
			return i + 3, false
		}
		i++
	}
	return 0, false
}

// parseHead parses a complete request head (block ends with CRLF CRLF)
// into h. It returns false for anything the fast path hands to net/http:
// not HTTP/1.1, not origin-form, malformed, or asking for an upgrade,
// 100-continue or a transfer-coded body.
func parseHead(block string, h *fastHead) bool {
	i := strings.IndexByte(block, '\n')
	if i < 1 || block[i-1] != '\r' {
		return false
	}
	line, rest := block[:i-1], block[i+1:]
	sp := strings.IndexByte(line, ' ')
	if sp <= 0 {
		return false
	}
	h.method, line = line[:sp], line[sp+1:]
	sp = strings.IndexByte(line, ' ')
	if sp <= 0 || line[sp+1:] != "HTTP/1.1" || !isToken(h.method) {
		return false
	}
	h.uri = line[:sp]
	if h.uri[0] != '/' || !visible(h.uri) {
		return false
	}
	h.path, h.query = h.uri, ""
	if q := strings.IndexByte(h.uri, '?'); q >= 0 {
		h.path, h.query = h.uri[:q], h.uri[q+1:]
	}
	for {
		i = strings.IndexByte(rest, '\n')
		if i < 1 || rest[i-1] != '\r' {
			return false
		}
		line, rest = rest[:i-1], rest[i+1:]
		if line == "" {
			return h.host != ""
		}
		if !h.field(line) {
			return false
		}
	}
}

// field parses one header line.
func (h *fastHead) field(line string) bool {
	c := strings.IndexByte(line, ':')
	if c <= 0 || !isToken(line[:c]) {
		return false
	}
	k := textproto.CanonicalMIMEHeaderKey(line[:c])
	v := strings.Trim(line[c+1:], " \t")
	if !fieldValue(v) {
		return false
	}
	switch k {
	case "Host":
		if h.host != "" || v == "" || !validHost(v) {
			return false
		}
		h.host = v
		return true
	case "Content-Length":
		n, ok := parseLength(v)
		if !ok || h.hasLength {
			return false
		}
		h.contentLength, h.hasLength = n, true
	case "Transfer-Encoding", "Upgrade", "Expect", "Http2-Settings":
		return false
	case "Connection":
		if !h.connection(v) {
			return false
		}
	case "X-Request-Id":
		if h.reqID == "" {
			h.reqID = v
		}
	}
	h.fields = append(h.fields, field{k, v})
	return true
}

// connection reads a Connection header's tokens.
func (h *fastHead) connection(v string) bool {
	for tok := range strings.SplitSeq(v, ",") {
		tok = strings.TrimSpace(tok)
		switch {
		case strings.EqualFold(tok, "close"):
			h.close = true
		case strings.EqualFold(tok, "upgrade"):
			return false
		case tok == "" || strings.EqualFold(tok, "keep-alive"):
		case strings.EqualFold(tok, "content-length"):
			// The body's length is no hop-by-hop field: dropped, the
			// server would read the body as a request of its own.
		default:
			h.connDrop = append(h.connDrop, textproto.CanonicalMIMEHeaderKey(tok))
		}
	}
	return true
}

// parseLength parses a Content-Length value.
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// visible reports whether s has only visible ASCII (a request target).
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// fieldValue reports whether v is a valid header value (no controls but
// tab).
func fieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost reports whether v may be a Host header: a host name or IP
// literal with an optional port, nothing more.
func validHost(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !tokenChar[c] && c != ':' && c != '[' && c != ']' {
			return false
		}
	}
	return true
}
