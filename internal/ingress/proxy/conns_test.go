package proxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/netlimit"
)

// connServer serves a proxy routing every host to a backend answering
// "A" on a fresh listener, with opts, and returns its address.
func connServer(t *testing.T, opts ServerOptions) (string, *FastServer) {
	t.Helper()
	p := testProxy(t, Options{})
	ra := router("all", "PathPrefix(`/`)", "s")
	ep := "web"
	if opts.TLS != nil {
		ep, ra.TLS, ra.EntryPoints = "websecure", true, nil
	}
	p.Update(cfg([]*config.Router{ra}, []*config.Service{svc("s", namedBackend(t, "A").URL)}))
	l := mustListen(t, "127.0.0.1:0")
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	fs := p.NewFastServer(ep, modeOptions(opts))
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	return l.Addr().String(), fs
}

// closedWithin reports whether the server closes c (which sends
// nothing more) within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSilentConnectionsAreClosed opens connections that never send a
// byte (plain; TLS without a handshake; TLS after the handshake): each
// is closed after ReadHeaderTimeout, long before IdleTimeout. A
// connection that sent a request stays open for IdleTimeout.
func TestSilentConnectionsAreClosed(t *testing.T) {
	tlsCfg, err := TLSConfig([]CertFile{selfSigned(t, t.TempDir(), "a.test")})
	if err != nil {
		t.Fatal(err)
	}
	opts := ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}
	plain, _ := connServer(t, opts)
	opts.TLS = tlsCfg
	secure, _ := connServer(t, opts)
	for _, tc := range []struct {
		name string
		dial func(t *testing.T) net.Conn
	}{
		{"plain", func(t *testing.T) net.Conn { c, _ := dialRaw(t, plain); return c }},
		{"tls no handshake", func(t *testing.T) net.Conn { c, _ := dialRaw(t, secure); return c }},
		{"tls after handshake", func(t *testing.T) net.Conn {
			c, _ := dialRaw(t, secure)
			tc := tls.Client(c, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			return tc
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !closedWithin(tc.dial(t), 10*time.Second) {
				t.Fatal("a connection that sent nothing is still open after 10 s (ReadHeaderTimeout 300 ms)")
			}
		})
	}
	t.Run("served keeps its idle timeout", func(t *testing.T) {
		c, br := dialRaw(t, plain)
		for i := range 2 {
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if resp, body, err := readResp(t, br, http.MethodGet); err != nil || body != "A" {
				t.Fatalf("request %d: %v %v %q", i, err, resp, body)
			}
			time.Sleep(700 * time.Millisecond) // past ReadHeaderTimeout, within IdleTimeout
		}
	})
}

// TestConnectionCap holds the cap's worth of connections: another one is
// not served until one of them closes, and every slot comes back once
// all are closed, also from a connection handed to net/http.
func TestConnectionCap(t *testing.T) {
	lim := netlimit.NewLimiter("ingress", 2)
	addr, _ := connServer(t, ServerOptions{Conns: lim})
	request := func(c net.Conn, br *bufio.Reader, proto string) error {
		if _, err := io.WriteString(c, "GET / "+proto+"\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		_, body, err := readResp(t, br, http.MethodGet)
		if err == nil && body != "A" {
			err = errors.New("body " + body)
		}
		return err
	}
	held := make([]net.Conn, 2)
	for i := range held {
		c, br := dialRaw(t, addr)
		if err := request(c, br, "HTTP/1.1"); err != nil {
			t.Fatalf("connection %d within the cap: %v", i, err)
		}
		held[i] = c
	}
	waitFor(t, "two slots in use", func() bool { return lim.InUse() == 2 })
	extra, br := dialRaw(t, addr)
	io.WriteString(extra, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	extra.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection beyond the cap was served (%v)", err)
	}
	held[0].Close()
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, body, err := readResp(t, br, http.MethodGet); err != nil || body != "A" {
		t.Fatalf("the connection beyond the cap not served once one closed: %v %q", err, body)
	}
	held[1].Close()
	// HTTP/1.0 goes to net/http: its slot must come back too.
	old, obr := dialRaw(t, addr)
	if err := request(old, obr, "HTTP/1.0"); err != nil {
		t.Fatalf("HTTP/1.0: %v", err)
	}
	old.Close()
	extra.Close()
	// Every slot came back: the cap's worth of connections are served
	// at once again (a waiting Accept may hold one slot for the next).
	waitFor(t, "slots given back", func() bool { return lim.InUse() <= 1 })
	for i := range 2 {
		c, br := dialRaw(t, addr)
		if err := request(c, br, "HTTP/1.1"); err != nil {
			t.Fatalf("connection %d after all closed: %v", i, err)
		}
	}
}
