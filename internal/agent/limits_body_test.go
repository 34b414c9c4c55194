package agent

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveBounded serves h through bound() with a handshake timeout of
// 300ms and returns the address.
func serveBounded(t *testing.T, h http.Handler) string {
	t.Helper()
	a := &Agent{cfg: &Config{Limits: &LimitsConfig{HandshakeTimeout: "300ms"}}, log: slog.New(slog.DiscardHandler)}
	if err := a.setupConns(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := a.bound(&http.Server{Handler: h})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// readAll is a handler that reads the whole body, after waiting wait,
// and answers with its length, or 408 when it could not.
func readAll(wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(wait)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		_, _ = io.WriteString(w, "OK "+strconv.Itoa(len(b)))
	})
}

// TestBodyDeadline sends bodies that stall, trickle, or arrive whole, to
// a server bounded as the agent's are.
func TestBodyDeadline(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait time.Duration // before the handler reads; < 0: it never reads
		send func(c net.Conn)
		want string // in the answer; "" for the connection closed unanswered in time
	}{
		{"stalled body", 0, func(c net.Conn) { _, _ = io.WriteString(c, "{") }, "408"},
		{"trickled body", 0, func(c net.Conn) {
			for range 20 {
				if _, err := io.WriteString(c, " "); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}, "408"},
		{"whole body, handler slow to read", 600 * time.Millisecond, func(c net.Conn) { _, _ = io.WriteString(c, strings.Repeat(" ", 1000)) }, "OK 1000"},
		{"stalled body the handler does not read", -1, func(c net.Conn) { _, _ = io.WriteString(c, "{") }, "401"},
		{"whole body", 0, func(c net.Conn) { _, _ = io.WriteString(c, strings.Repeat(" ", 1000)) }, "OK 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := readAll(tc.wait)
			if tc.wait < 0 { // refused before the body, which the server then reads to keep the connection
				h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
			}
			addr := serveBounded(t, h)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, _ = io.WriteString(c, "PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
			go tc.send(c)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer after %v: %v", time.Since(start), err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.Status + " " + string(body); !strings.Contains(got, tc.want) {
				t.Fatalf("answer %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBodyDeadlineLiftedAfterBody keeps a handler working past the
// window once it has read the body: its request is not cancelled, and
// the keep-alive connection serves a second request.
func TestBodyDeadlineLiftedAfterBody(t *testing.T) {
	addr := serveBounded(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		select {
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusServiceUnavailable)
		case <-time.After(700 * time.Millisecond):
			_, _ = io.WriteString(w, "done")
		}
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := range 2 {
		_, _ = io.WriteString(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "done" {
			t.Fatalf("request %d: %s %q", i, resp.Status, body)
		}
	}
}
