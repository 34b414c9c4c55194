package proxy

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultBodyTimeout is Options.BodyTimeout's default: each read of a
// request or response body and each write towards the client or a server
// must make progress within it (Traefik's readTimeout default).
const DefaultBodyTimeout = 60 * time.Second

// bodyTimeout is how long a body read or write may wait.
func (p *Proxy) bodyTimeout() time.Duration { return p.opts.BodyTimeout }

// setWriteDeadline sets c's write deadline to d unless the one set is
// within a second of it, as setDeadline does for reads.
func (fc *fastConn) setWriteDeadline(d time.Time) {
	if !fc.wdeadline.IsZero() && d.Sub(fc.wdeadline) < time.Second && fc.wdeadline.Sub(d) < time.Second {
		return
	}
	fc.wdeadline = d
	fc.c.SetWriteDeadline(d)
}

// clearWriteDeadline removes the write deadline (before a connection
// goes to net/http, which keeps its own).
func (fc *fastConn) clearWriteDeadline() {
	if !fc.wdeadline.IsZero() {
		fc.wdeadline = time.Time{}
		fc.c.SetWriteDeadline(time.Time{})
	}
}

// bodyProgress gives the client connection another BodyTimeout to
// deliver the next bytes of a request body and to take the next bytes of
// a response: a client that stalls is cut then, instead of holding the
// connection (and one to a server) forever.
func (fc *fastConn) bodyProgress() {
	end := time.Now().Add(fc.p.bodyTimeout())
	fc.setDeadline(end)
	fc.setWriteDeadline(end)
}

// setWriteDeadline is fastConn.setWriteDeadline for a server connection.
func (bc *bconn) setWriteDeadline(d time.Time) {
	if !bc.wdeadline.IsZero() && d.Sub(bc.wdeadline) < time.Second && bc.wdeadline.Sub(d) < time.Second {
		return
	}
	bc.wdeadline = d
	bc.c.SetWriteDeadline(d)
}

// bodyProgress gives a server connection another BodyTimeout to send the
// next bytes of a response body and to take the next bytes of a request
// body.
func (bc *bconn) bodyProgress(d time.Duration) {
	end := time.Now().Add(d)
	bc.setDeadline(end)
	bc.setWriteDeadline(end)
}

// idleBody is a server's response body on the net/http path whose every
// Read must return within d: a server that stops sending has its body
// closed, which ends the Read with an error, so it cannot hold the
// client's connection forever.
type idleBody struct {
	io.ReadCloser
	d     time.Duration
	once  sync.Once
	timer *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.once.Do(func() { b.timer = time.AfterFunc(b.d, func() { b.ReadCloser.Close() }) })
	b.timer.Reset(b.d)
	n, err := b.ReadCloser.Read(p)
	if !b.timer.Stop() && err != nil && err != io.EOF {
		err = errBodyStalled
	}
	return n, err
}

func (b *idleBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	return b.ReadCloser.Close()
}

// errBodyStalled ends a body that made no progress for BodyTimeout.
var errBodyStalled = &timeoutError{"ingress: body made no progress within the body timeout"}

// timeoutError is a net.Error that timed out.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// boundResponse wraps a server's response body in an idleBody; an
// upgraded connection (101), which ReverseProxy needs as it is, is left
// alone.
func (p *Proxy) boundResponse(resp *http.Response) error {
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = &idleBody{ReadCloser: resp.Body, d: p.bodyTimeout()}
	}
	return nil
}

// deadlineBody is a client's request body on the net/http path: before
// each Read the connection's read deadline moves BodyTimeout ahead.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
	d  time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.d))
	return b.ReadCloser.Read(p)
}
