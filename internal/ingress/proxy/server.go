package proxy

import (
	"cmp"
	"crypto/tls"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// Defaults of ServerOptions.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultIdleTimeout       = 180 * time.Second
)

// ServerOptions bound what a client may cost an entry point.
type ServerOptions struct {
	// ReadHeaderTimeout cuts clients that send headers too slowly
	// (slowloris).
	ReadHeaderTimeout time.Duration
	// MaxHeaderBytes bounds request headers; bigger ones get 431.
	MaxHeaderBytes int
	// IdleTimeout closes idle keep-alive client connections. A new
	// connection that has not sent its first request is closed after
	// ReadHeaderTimeout instead, as net/http does.
	IdleTimeout time.Duration
	// Conns, when set, caps the client connections the entry point
	// holds: at the cap it stops accepting until one closes. The event
	// loops, which accept on their own copies of the listening socket,
	// count theirs too.
	Conns *netlimit.Limiter
	// TLS, when set, makes it a TLS entry point (see TLSConfig): serve
	// a FastServer with Serve(l), an http.Server with ServeTLS(l, "", "").
	TLS *tls.Config
	// Logger gets the server's own errors (slog.Default() if nil).
	Logger *slog.Logger
	// FastHTTP1 makes a FastServer (NewFastServer, Proxy.Serve) answer
	// plain HTTP/1.1 on its own connection loop and server pools instead
	// of net/http; ignored when the Proxy's Options.Transport is set.
	FastHTTP1 bool
	// EventLoop, with FastHTTP1, serves the connections of TCP listeners
	// from epoll event loops (package eventloop) instead of a goroutine
	// each (Linux; elsewhere it is ignored).
	EventLoop bool
	// EventLoops is the number of event loops; 0 means one per two
	// GOMAXPROCS, at least one (see docs/benchmarks.md: a loop that is
	// rarely idle batches its events and sleeps less).
	EventLoops int
}

// loops returns the number of event loops to run.
func (o *ServerOptions) loops() int {
	if o.EventLoops > 0 {
		return o.EventLoops
	}
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// boundUnreadBody gives what is left of an HTTP/1 request's body d to
// arrive once h returns: net/http reads it (up to 256 KiB) to keep the
// connection, before it even writes the answer, and without a deadline a
// client that sent part of a body, to a route that does not exist, held
// its connection for ever unanswered.
func boundUnreadBody(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.ProtoMajor == 1 && r.Body != nil && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
	})
}

// NewServer returns an entry point server for h at addr: HTTP/1.1,
// HTTP/2 over TLS, and HTTP/2 without TLS (h2c, prior knowledge) for
// plain entry points. Request bodies and responses are not time-bounded
// (streams and WebSockets live long); headers and idle time are.
func NewServer(addr string, h http.Handler, opts ServerOptions) *http.Server {
	log := cmp.Or(opts.Logger, slog.Default())
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(opts.TLS == nil)
	return &http.Server{
		Addr:              addr,
		Handler:           boundUnreadBody(h, cmp.Or(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)),
		ReadHeaderTimeout: cmp.Or(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		MaxHeaderBytes:    cmp.Or(opts.MaxHeaderBytes, DefaultMaxHeaderBytes),
		IdleTimeout:       cmp.Or(opts.IdleTimeout, DefaultIdleTimeout),
		TLSConfig:         opts.TLS,
		Protocols:         &protos,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}
