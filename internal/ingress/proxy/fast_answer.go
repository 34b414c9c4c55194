package proxy

import (
	"net/http"
	"strconv"
	"time"
)

var _ http.ResponseWriter = (*captureWriter)(nil)

// captureWriter records the answer a middleware gives itself (a
// redirect), for the fast path to send.
type captureWriter struct {
	h    http.Header
	code int
	body []byte
}

// Header returns the response header map.
func (cw *captureWriter) Header() http.Header {
	if cw.h == nil {
		cw.h = http.Header{}
	}
	return cw.h
}

// WriteHeader records the status code.
func (cw *captureWriter) WriteHeader(code int) {
	if cw.code == 0 {
		cw.code = code
	}
}

// Write records body bytes.
func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.code == 0 {
		cw.code = http.StatusOK
	}
	cw.body = append(cw.body, b...)
	return len(b), nil
}

func (cw *captureWriter) status() int {
	if cw.code == 0 {
		return http.StatusOK
	}
	return cw.code
}

// statusLine writes "HTTP/1.1 code text\r\n".
func (fc *fastConn) statusLine(code int) {
	w := fc.bw
	w.WriteString("HTTP/1.1 ")
	w.WriteString(codeLabel(code))
	w.WriteByte(' ')
	w.WriteString(http.StatusText(code))
	w.WriteString("\r\n")
}

// endHead writes Date, Content-Length, Connection: close if closing, and
// the empty line.
func (fc *fastConn) endHead(length int, closing bool) {
	w := fc.bw
	var b [64]byte
	w.WriteString("Date: ")
	w.Write(time.Now().UTC().AppendFormat(b[:0], http.TimeFormat))
	w.WriteString("\r\nContent-Length: ")
	w.Write(strconv.AppendInt(b[:0], int64(length), 10))
	if closing {
		w.WriteString("\r\nConnection: close")
	}
	w.WriteString("\r\n\r\n")
}

// simple sends an answer of the proxy's own: text/plain when text is
// set, as net/http's http.Error does, else an empty body.
func (fc *fastConn) simple(_ http.Header, code int, text string, closing bool) {
	fc.statusLine(code)
	if text != "" {
		fc.bw.WriteString("Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n")
	}
	fc.endHead(len(text), closing)
	if fc.head.method != http.MethodHead {
		fc.bw.WriteString(text)
	}
}

// captured sends what a middleware answered.
func (fc *fastConn) captured(cw *captureWriter, closing bool) {
	fc.statusLine(cw.status())
	for k, vs := range cw.h {
		if k == "Content-Length" || k == "Date" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			fc.bw.WriteString(k)
			fc.bw.WriteString(": ")
			fc.bw.WriteString(v)
			fc.bw.WriteString("\r\n")
		}
	}
	fc.endHead(len(cw.body), closing)
	if fc.head.method != http.MethodHead {
		fc.bw.Write(cw.body)
	}
}

// flushIfIdle sends the buffered answers unless a pipelined request is
// already waiting (its answer then goes out with them).
func (fc *fastConn) flushIfIdle() {
	if fc.br.Buffered() == 0 {
		fc.bw.Flush()
	}
}
