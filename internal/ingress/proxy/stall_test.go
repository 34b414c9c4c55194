package proxy

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// TestStalledBodyToNoRoute sends a request to a host no router matches,
// with a body that stops after a few bytes: the answer (404) comes and
// the connection closes soon after ReadHeaderTimeout, where both used to
// wait for the rest of the body for ever.
func TestStalledBodyToNoRoute(t *testing.T) {
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("a", hostRule("a.test"), "s")}, []*config.Service{svc("s", namedBackend(t, "A").URL)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("web", modeOptions(ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute, Logger: discardLogger()}))
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	for _, tc := range []struct{ name, head string }{
		{"content-length", "Content-Length: 1000\r\n\r\n{"},
		{"chunked", "Transfer-Encoding: chunked\r\n\r\n5\r\nab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := dialRaw(t, l.Addr().String())
			start := time.Now()
			if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: nothing.test\r\n"+tc.head); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("still open after %v: %v (%q)", time.Since(start), err, got)
			}
			if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 404") {
				t.Fatalf("answer %.100q, want 404 or none", got)
			}
		})
	}
}
