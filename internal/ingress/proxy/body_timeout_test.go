package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// bodyTimeoutProxy serves one router for host "x.minipot" to h's server,
// with a short BodyTimeout.
func bodyTimeoutProxy(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	be := handlerBackend(t, h)
	p := testProxy(t, Options{BodyTimeout: 300 * time.Millisecond})
	p.Update(cfg([]*config.Router{router("r", hostRule("x.minipot"), "s")}, []*config.Service{svc("s", be.URL)}))
	// net/http reads what is left of a body for ReadHeaderTimeout once the
	// handler returned (boundUnreadBody): short here too.
	return serve(t, p.Handler("web"), ServerOptions{ReadHeaderTimeout: 500 * time.Millisecond})
}

// dialProxy opens a plain connection to the proxy at url.
func dialProxy(t *testing.T, url string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStalledResponseBodyIsCut: a server that sends part of a body and
// then nothing cannot hold the client's connection: it ends within a few
// BodyTimeouts (with what was sent so far on the fast path; net/http
// drops the connection with what it buffered).
func TestStalledResponseBodyIsCut(t *testing.T) {
	stop := make(chan struct{})
	url := bodyTimeoutProxy(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(stop) }) // before the server's Close, which waits for the handler
	c := dialProxy(t, url)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x.minipot\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	got, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was held %v: %q", time.Since(start), got)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("ended after %v with %q", el, got)
	}
}

// TestStalledRequestBodyIsCut: a client that sends part of a request body
// and then nothing is cut; the server sees its request body fail.
func TestStalledRequestBodyIsCut(t *testing.T) {
	bodyErr := make(chan error, 1)
	url := bodyTimeoutProxy(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
	})
	c := dialProxy(t, url)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x.minipot\r\nContent-Length: 1000\r\n\r\n0123456789")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	// The proxy answers (502, 408) or closes the connection.
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was held %v", time.Since(start))
	}
	if err == nil && resp.StatusCode < 400 {
		t.Fatalf("answered %s", resp.Status)
	}
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Fatal("the server read a whole body the client never sent")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server's read of the request body never ended")
	}
}

// TestClientThatStopsReadingIsCut: a client that asks for an endless
// body and reads nothing cannot hold the server's connection: the
// server's writes fail once the proxy gave up on the client.
func TestClientThatStopsReadingIsCut(t *testing.T) {
	writeErr := make(chan error, 1)
	url := bodyTimeoutProxy(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
	})
	c := dialProxy(t, url)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(4 << 10)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x.minipot\r\n\r\n")
	br := bufio.NewReaderSize(c, 4<<10)
	if _, err := br.Peek(1); err != nil { // the answer started; read nothing more
		t.Fatal(err)
	}
	select {
	case <-writeErr:
	case <-time.After(20 * time.Second):
		t.Fatal("the server still writes to a client that reads nothing")
	}
}
