package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/wharf-project/wharf/internal/ingress/config"
)

// fastServe runs p's entry point web on a FastServer and returns its
// address and the server.
func fastServe(t *testing.T, p *Proxy, opts ServerOptions) (string, *FastServer) {
	t.Helper()
	l := mustListen(t, "127.0.0.1:0")
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	opts.FastHTTP1 = true
	fs := p.NewFastServer("web", opts)
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	return l.Addr().String(), fs
}

// fastRoute is a fast proxy routing every host on web to urls.
func fastRoute(t *testing.T, opts ServerOptions, urls ...string) (string, *FastServer) {
	t.Helper()
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", urls...)}))
	return fastServe(t, p, modeOptions(opts))
}

// rawBackend serves each connection with fn on a plain listener.
func rawBackend(t *testing.T, fn func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	l := mustListen(t, "127.0.0.1:0")
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// dialRaw opens a client connection to addr.
func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// readResp reads one response and its body from br.
func readResp(t *testing.T, br *bufio.Reader, method string) (*http.Response, string, error) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// echoBackend answers the method, path, body length and body hash.
func echoBackend(t *testing.T) string {
	return handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%s %s %d %s", r.Method, r.URL.RequestURI(), n, hex.EncodeToString(h.Sum(nil))[:8])
	}).URL
}

func sum8(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:8]
}

func TestFastPipelined(t *testing.T) {
	addr, fs := fastRoute(t, ServerOptions{}, echoBackend(t))
	c, br := dialRaw(t, addr)
	io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"+
		"POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"+
		"GET /nothere HTTP/1.1\r\nHost: x\r\n\r\n"+
		"HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
	want := []string{"GET /a 0 " + sum8(nil), "POST /b?q=1 5 " + sum8([]byte("hello")),
		"GET /nothere 0 " + sum8(nil), ""}
	for i, w := range want {
		method := http.MethodGet
		if i == 3 {
			method = http.MethodHead
		}
		resp, body, err := readResp(t, br, method)
		if err != nil || resp.StatusCode != 200 || body != w {
			t.Fatalf("response %d: %v %q, want %q", i, err, body, w)
		}
	}
	if n := fs.Handoffs(); n != 0 {
		t.Errorf("%d hand-offs, want 0", n)
	}
}

func TestFastLargeBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, many buffers
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, sum8(b))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.Write(big)
	})
	addr, fs := fastRoute(t, ServerOptions{}, back.URL)
	c, br := dialRaw(t, addr)
	go func() {
		io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n")
		c.Write(big)
		io.WriteString(c, "GET /down HTTP/1.1\r\nHost: x\r\n\r\n")
	}()
	if _, body, err := readResp(t, br, http.MethodPost); err != nil || body != sum8(big) {
		t.Fatalf("upload: %v %q", err, body)
	}
	if _, body, err := readResp(t, br, http.MethodGet); err != nil || body != string(big) {
		t.Fatalf("download: %v, %d bytes", err, len(body))
	}
	if n := fs.Handoffs(); n != 0 {
		t.Errorf("%d hand-offs, want 0", n)
	}
}

func TestFastChunkedResponse(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 5 {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "5")
	})
	addr, _ := fastRoute(t, ServerOptions{}, back.URL)
	_, br := dialRawWrite(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body, err := readResp(t, br, http.MethodGet)
	if err != nil || body != "part0;part1;part2;part3;part4;" {
		t.Fatalf("%v %q", err, body)
	}
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" || resp.Trailer.Get("X-Sum") != "5" {
		t.Errorf("transfer encoding %v, trailer %v", resp.TransferEncoding, resp.Trailer)
	}
}

// dialRawWrite dials addr and writes s.
func dialRawWrite(t *testing.T, addr, s string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br := dialRaw(t, addr)
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
	return c, br
}

func TestFastCloseDelimitedResponse(t *testing.T) {
	back := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		http.ReadRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
	})
	addr, _ := fastRoute(t, ServerOptions{}, back)
	_, br := dialRawWrite(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body, err := readResp(t, br, http.MethodGet)
	if err != nil || body != "until the end" || !resp.Close {
		t.Fatalf("%v %q close=%v", err, body, resp != nil && resp.Close)
	}
}

func TestFastBackendClosesAfterHeaders(t *testing.T) {
	tests := []struct{ name, head string }{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n"},
		{"headers only", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				http.ReadRequest(br)
				io.WriteString(c, tt.head)
				c.(*net.TCPConn).SetLinger(0) // a reset, not a clean close
			})
			addr, _ := fastRoute(t, ServerOptions{}, back)
			_, br := dialRawWrite(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp, body, err := readResp(t, br, http.MethodGet); err == nil {
				t.Fatalf("client read a complete %d response %q; want an error", resp.StatusCode, body)
			}
		})
	}
}

func TestFastHeaderLimits(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		size     int
		handoffs int64
	}{
		{"over the limit, inside the buffer", 4 << 10, 6 << 10, 0},
		{"over the buffer: net/http answers", 16 << 10, 32 << 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, fs := fastRoute(t, ServerOptions{MaxHeaderBytes: tt.max}, namedBackend(t, "A").URL)
			_, br := dialRawWrite(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", tt.size)+"\r\n\r\n")
			resp, err := http.ReadResponse(br, nil) // the body may end in a reset: unread header bytes
			if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("%v %v, want 431", err, resp)
			}
			if fs.Handoffs() != tt.handoffs {
				t.Errorf("%d hand-offs, want %d", fs.Handoffs(), tt.handoffs)
			}
		})
	}
}

func TestFastSlowHeadersCut(t *testing.T) {
	addr, _ := fastRoute(t, ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond}, namedBackend(t, "A").URL)
	c, _ := dialRaw(t, addr)
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c)
		close(closed)
	}()
	header := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
	for i := range len(header) {
		select {
		case <-closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write([]byte{header[i]}); err != nil {
			return
		}
	}
	t.Fatal("fast path still reading a header sent 1 byte per 100 ms after 10 s")
}

func TestFastHandsOffUpgrades(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			fmt.Fprintf(w, "%s", r.Proto)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		typ, msg, err := c.Read(r.Context())
		if err == nil {
			c.Write(r.Context(), typ, msg)
		}
	})
	addr, fs := fastRoute(t, ServerOptions{}, back.URL)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", &websocket.DialOptions{Host: "x"})
	if err != nil {
		t.Fatal(err)
	}
	c.Write(ctx, websocket.MessageText, []byte("hi"))
	if _, got, err := c.Read(ctx); err != nil || string(got) != "hi" {
		t.Fatalf("echo: %q %v", got, err)
	}
	c.Close(websocket.StatusNormalClosure, "")

	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protos}}
	defer client.CloseIdleConnections()
	code, body, resp := do(t, client, http.MethodGet, "http://"+addr, "x", nil)
	if code != 200 || resp.ProtoMajor != 2 || body != "HTTP/1.1" {
		t.Errorf("h2c: %d %q over %s", code, body, resp.Proto)
	}
	if fs.Handoffs() != 2 {
		t.Errorf("%d hand-offs, want 2", fs.Handoffs())
	}
}

func TestFastStalePooledConnection(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "A") })
	p := testProxy(t, Options{PassiveDownFor: time.Hour})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back.URL)}))
	addr, _ := fastServe(t, p, modeOptions(ServerOptions{}))
	for i := range 3 {
		if code, body := get(t, "http://"+addr, "x"); code != 200 || body != "A" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		back.CloseClientConnections() // the server drops the pooled connection
	}
	if st := p.Stats(); st.Services["s"].Servers[0].Up != true {
		t.Errorf("server taken out for a stale pooled connection: %+v", st.Services["s"])
	}
}

func TestFastShutdownWaitsForActive(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	})
	addr, fs := fastRoute(t, ServerOptions{}, back.URL)
	_, br := dialRawWrite(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered
	shut := make(chan error)
	go func() { shut <- fs.Shutdown(context.Background()) }()
	for !fs.shutting.Load() {
		time.Sleep(time.Millisecond) // the answer must say the connection closes
	}
	// The listener (with event loops: every loop's copy) is closed at
	// once: new connections are refused while the old one finishes.
	waitFor(t, "new connections refused", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return true
	})
	close(release)
	resp, body, err := readResp(t, br, http.MethodGet)
	if err != nil || body != "done" || !resp.Close {
		t.Fatalf("in-flight request: %v %q", err, body)
	}
	if err := <-shut; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestFastPooledConnectionsHoldNoBuffers: a server connection idle in
// the fast path's pool gives its buffers back (thousands of servers
// mean thousands of idle connections), takes them again when reused,
// and one whose server sent more than its answer is not pooled.
func TestFastPooledConnectionsHoldNoBuffers(t *testing.T) {
	var extra atomic.Bool
	back := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			tail := ""
			if extra.Load() {
				tail = "junk"
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"+tail)
		}
	})
	p := New(Options{Logger: discardLogger()}) // the goroutine path: its pools are the server's
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", back)}))
	addr, fs := fastServe(t, p, ServerOptions{})
	pooled := func() (n int, buffered int) {
		fs.pools.m.Range(func(_, v any) bool {
			fp := v.(*fastPool)
			fp.mu.Lock()
			defer fp.mu.Unlock()
			for _, bc := range fp.idle {
				n++
				if bc.br != nil || bc.bw != nil {
					buffered++
				}
			}
			return true
		})
		return n, buffered
	}
	for i := range 3 {
		if code, body := get(t, "http://"+addr, "x"); code != 200 || body != "A" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		if n, buffered := pooled(); n != 1 || buffered != 0 {
			t.Fatalf("after request %d: %d pooled connections, %d with buffers; want 1, 0", i, n, buffered)
		}
	}
	extra.Store(true)
	if code, body := get(t, "http://"+addr, "x"); code != 200 || body != "A" {
		t.Fatalf("answer with trailing bytes: %d %q", code, body)
	}
	if n, _ := pooled(); n != 0 {
		t.Errorf("a connection with bytes after its answer was pooled (%d pooled)", n)
	}
}

// TestFastConnectionNamingLengthSmugglesNothing sends a body whose
// Content-Length the Connection header names (a hop-by-hop field by that
// header's rule): the server must still get the body as this request's,
// not read it as a request of its own (found by FuzzRequestHead).
func TestFastConnectionNamingLengthSmugglesNothing(t *testing.T) {
	addr, _ := fastRoute(t, ServerOptions{}, echoBackend(t))
	inner := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	c, br := dialRaw(t, addr)
	fmt.Fprintf(c, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: keep-alive, Content-Length\r\n\r\n%s"+
		"GET /b HTTP/1.1\r\nHost: x\r\n\r\n", len(inner), inner)
	for i, want := range []string{fmt.Sprintf("POST /a %d %s", len(inner), sum8([]byte(inner))), "GET /b 0 " + sum8(nil)} {
		resp, body, err := readResp(t, br, http.MethodGet)
		if err != nil || resp.StatusCode != 200 || body != want {
			t.Fatalf("response %d: %v %q, want %q", i, err, body, want)
		}
	}
}
