//go:build linux

package eventloop

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// lineSession answers each line it reads with the line upper-cased; a
// line "dial ADDR" answers with what ADDR sends first, over a
// connection the loop dialled. It parks when no input is buffered.
type lineSession struct {
	l  *Loop
	c  net.Conn
	br *bufio.Reader
}

type lineHandler struct{}

func (lineHandler) Open(l *Loop, c net.Conn) Session { return &lineSession{l: l, c: c} }

func (s *lineSession) Serve() bool {
	for {
		if s.br == nil || s.br.Buffered() == 0 {
			s.br = nil // idle: hold no buffer
			if pk, ok := s.c.(Parker); ok && pk.MustWait() {
				return true
			}
			s.br = bufio.NewReader(s.c)
		}
		line, err := s.br.ReadString('\n')
		if err != nil {
			CloseOwn(s.c)
			return false
		}
		line = strings.TrimSpace(line)
		if addr, ok := strings.CutPrefix(line, "dial "); ok {
			line = s.dial(addr)
		}
		if _, err := io.WriteString(s.c, strings.ToUpper(line)+"\n"); err != nil {
			CloseOwn(s.c)
			return false
		}
	}
}

func (s *lineSession) dial(addr string) string {
	bc, err := s.l.Dial(addr, 5*time.Second)
	if err != nil {
		return "dial failed: " + err.Error()
	}
	defer bc.Close()
	bc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 64)
	n, err := bc.Read(b)
	if err != nil {
		return "read failed: " + err.Error()
	}
	return string(b[:n])
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestServerServesParksDialsAndStops serves line sessions from two
// loops: many idle connections park without a goroutine each, are
// served again on input, a loop dials a server (by address and by host
// name, the latter outside the loop), and Stop ends Serve with
// ErrStopped and frees the port.
func TestServerServesParksDialsAndStops(t *testing.T) {
	back := listen(t)
	defer back.Close()
	go func() {
		for {
			c, err := back.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "hello")
			c.Close()
		}
	}()
	l := listen(t)
	addr := l.Addr().String()
	s := New(Options{Loops: 2, Handler: lineHandler{}})
	served := make(chan error, 1)
	go func() { _, err := s.Serve(l); served <- err }()
	before := runtime.NumGoroutine()
	var clients []*bufio.ReadWriter
	for i := range 100 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
		clients = append(clients, rw)
		ask(t, rw, "ping", "PING")
		if i == 0 {
			_, port, _ := net.SplitHostPort(back.Addr().String())
			ask(t, rw, "dial "+back.Addr().String(), "HELLO")
			ask(t, rw, "dial localhost:"+port, "HELLO")
		}
	}
	if g := runtime.NumGoroutine() - before; g > 10 {
		t.Errorf("%d goroutines more with 100 idle connections, want a few at most", g)
	}
	for _, rw := range clients {
		ask(t, rw, "again", "AGAIN")
	}
	var socks int64
	for _, lp := range s.Loops() {
		socks += lp.Sockets()
	}
	if len(s.Loops()) != 2 || socks != 100 {
		t.Errorf("%d loops holding %d sockets, want 2 holding 100", len(s.Loops()), socks)
	}
	s.Stop()
	if err := <-served; !errors.Is(err, ErrStopped) {
		t.Errorf("Serve returned %v, want ErrStopped", err)
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still taken after Stop: %v", err)
	}
	l2.Close()
}

func ask(t *testing.T, rw *bufio.ReadWriter, q, want string) {
	t.Helper()
	rw.WriteString(q + "\n")
	rw.Flush()
	got, err := rw.ReadString('\n')
	if err != nil || strings.TrimSpace(got) != want {
		t.Fatalf("%q: %q, %v; want %q", q, got, err, want)
	}
}

// TestServeRefusesOtherListeners: a listener that is not TCP is not
// served (the caller serves it otherwise), and Serve after Stop serves
// nothing.
func TestServeRefusesOtherListeners(t *testing.T) {
	dir := t.TempDir()
	ul, err := net.Listen("unix", dir+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	if _, err := New(Options{Handler: lineHandler{}}).Serve(ul); !errors.Is(err, ErrNotServed) {
		t.Errorf("unix listener: %v, want ErrNotServed", err)
	}
	s := New(Options{Handler: lineHandler{}})
	s.Stop()
	l := listen(t)
	defer l.Close()
	if _, err := s.Serve(l); !errors.Is(err, ErrStopped) {
		t.Errorf("after Stop: %v, want ErrStopped", err)
	}
}
