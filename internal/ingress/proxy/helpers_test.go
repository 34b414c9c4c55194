package proxy

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// namedBackend starts a backend answering its name.
func namedBackend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name)
	}))
	t.Cleanup(s.Close)
	return s
}

// handlerBackend starts a backend with h.
func handlerBackend(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// closedURL is the URL of a loopback port nothing listens on: a socket
// bound to it, not listening, keeps it from being handed out again (a
// listener opened later in the test could otherwise get it) until the
// test ends; connecting to it is refused.
func closedURL(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// testProxy returns a proxy with quiet logs and test-sized defaults.
func testProxy(t *testing.T, opts Options) *Proxy {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return New(opts)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serveBench is serve for benchmarks.
func serveBench(b *testing.B, h http.Handler) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer("", h, ServerOptions{Logger: discardLogger()})
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// serve runs h on a loopback entry point server and returns its URL.
func serve(t *testing.T, h http.Handler, opts ServerOptions) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if eh, ok := h.(*entryHandler); ok && fastMode {
		fs := eh.p.NewFastServer(eh.ep, modeOptions(opts))
		go fs.Serve(l)
		t.Cleanup(func() { fs.Close() })
		if opts.TLS != nil {
			return "https://" + l.Addr().String()
		}
		return "http://" + l.Addr().String()
	}
	srv := NewServer("", h, opts)
	go func() {
		if opts.TLS != nil {
			srv.ServeTLS(l, "", "")
		} else {
			srv.Serve(l)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	scheme := "http"
	if opts.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + l.Addr().String()
}

// svc is a service over servers with weight 10 each unless given.
func svc(name string, urls ...string) *config.Service {
	s := &config.Service{Name: name, PassHostHeader: true}
	for _, u := range urls {
		s.Servers = append(s.Servers, &config.Server{URL: u, Weight: config.WeightPassing, Health: config.HealthPassing})
	}
	return s
}

// router is a router on entry point web.
func router(name, rule, service string, mws ...string) *config.Router {
	return &config.Router{Name: name, Rule: rule, Service: service, EntryPoints: []string{"web"}, Middlewares: mws}
}

// cfg assembles a config.
func cfg(routers []*config.Router, services []*config.Service, mws ...*config.Middleware) *config.Config {
	c := &config.Config{Routers: map[string]*config.Router{}, Services: map[string]*config.Service{},
		Middlewares: map[string]*config.Middleware{}}
	for _, r := range routers {
		c.Routers[r.Name] = r
	}
	for _, s := range services {
		c.Services[s.Name] = s
	}
	for _, m := range mws {
		c.Middlewares[m.Name] = m
	}
	return c
}

// do sends method to url with host and returns status and body.
func do(t *testing.T, c *http.Client, method, url, host string, body io.Reader) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (host %s): %v", method, url, host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(b), resp
}

// get is do with GET and the default client.
func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	code, body, _ := do(t, http.DefaultClient, http.MethodGet, url, host, nil)
	return code, body
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sequence gets n responses from url with host, joined by spaces.
func sequence(t *testing.T, url, host string, n int) string {
	t.Helper()
	var got []string
	for range n {
		code, body := get(t, url, host)
		if code != http.StatusOK {
			t.Fatalf("status %d, body %q", code, body)
		}
		got = append(got, body)
	}
	return strings.Join(got, " ")
}

func hostRule(h string) string { return fmt.Sprintf("Host(`%s`)", h) }

// mustListen listens on addr.
func mustListen(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// modeOptions turns on the fast path, and its event loops, as the run's
// mode says.
func modeOptions(o ServerOptions) ServerOptions {
	o.FastHTTP1 = o.FastHTTP1 || fastMode
	o.EventLoop = o.EventLoop || loopMode
	return o
}
