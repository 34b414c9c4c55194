package agent

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// bodyProgress is how much of a request body must arrive within each
// handshake_timeout for the body's read deadline to move on.
const bodyProgress = 64 << 10

// bodyDeadline bounds how long a request body may take to arrive: reading
// it fails once handshake_timeout passes without bodyProgress more bytes
// (or the body's end) arriving. Without it a client that sends headers
// and then a body one byte at a time, or none, holds its connection (and
// a slot of the listener's cap) for ever: ReadHeaderTimeout stops at the
// headers, and ReadTimeout would cut long uploads, log streams and
// websockets. The deadline starts at the body's first read, so a
// handler that checks a token first does not eat into it.
func (a *Agent) bodyDeadline(h http.Handler) http.Handler {
	window := DefaultHandshakeTimeout
	if a.conns != nil {
		window = a.conns.HandshakeTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), window: window}
		r.Body = b
		defer b.finish()
		h.ServeHTTP(w, r)
	})
}

// deadlineBody is a request body whose reads move the connection's read
// deadline on as the body arrives.
type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	got    int  // bytes since the deadline last moved
	set    bool // a deadline is in force
	ended  bool // the body was read to its end
	unsupp bool // the connection takes no deadlines
}

// Read reads the body, moving the deadline on at the first read and after
// every bodyProgress bytes, and lifting it at the body's end (so that the
// server's wait for the connection's next request is not cut short). A
// failed read leaves the deadline in force: the server then gives up at
// once on the rest of the body instead of waiting for it.
func (b *deadlineBody) Read(p []byte) (int, error) {
	if !b.set && !b.ended {
		b.move()
	}
	n, err := b.ReadCloser.Read(p)
	b.got += n
	switch {
	case err == io.EOF:
		b.ended = true
		if b.set {
			_ = b.rc.SetReadDeadline(time.Time{})
			b.set = false
		}
	case err == nil && b.got >= bodyProgress:
		b.move()
	}
	return n, err
}

// move sets the deadline a window from now.
func (b *deadlineBody) move() {
	b.got = 0
	if b.unsupp {
		return
	}
	if err := b.rc.SetReadDeadline(time.Now().Add(b.window)); err != nil {
		b.unsupp = errors.Is(err, http.ErrNotSupported)
		return
	}
	b.set = true
}

// finish runs when the handler returns: the server reads what is left of
// an unread body (up to 256 KiB) to keep the connection, and that read
// gets a window too.
func (b *deadlineBody) finish() {
	if !b.ended {
		b.move()
	}
}
