package tlsutil

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequestTLS isolates what TLS costs one small request: the
// same handler over plain HTTP, HTTPS and mutual TLS, on a kept-alive
// connection and on a new connection (a full handshake) per request.
func BenchmarkRequestTLS(b *testing.B) {
	dir := b.TempDir()
	ca := newTestCA(b, dir, "wharf")
	server := ca.files(b, dir, "server", RoleServer, time.Time{}, 0)
	cli := ca.files(b, dir, "cli", RoleCLI, time.Time{}, 0)
	body := []byte(`[{"ID":"web","Status":"running"}]`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) })
	for _, mode := range []struct {
		name     string
		tls      bool
		mutual   bool
		dialCert Files
	}{
		{name: "http"},
		{name: "https", tls: true, dialCert: Files{CAFile: ca.file}},
		{name: "mtls", tls: true, mutual: true, dialCert: cli},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		var dial *http.Transport
		if mode.tls {
			r, err := NewReloader(server)
			if err != nil {
				b.Fatal(err)
			}
			ln = tlsListener(ln, r, mode.mutual)
			url = "https://" + ln.Addr().String()
		}
		srv := &http.Server{Handler: handler, ErrorLog: log.New(io.Discard, "", 0)}
		go func() { _ = srv.Serve(ln) }()
		for _, keep := range []bool{true, false} {
			name := mode.name + "/keepalive"
			if !keep {
				name = mode.name + "/new-conn"
			}
			b.Run(name, func(b *testing.B) {
				dial = &http.Transport{DisableKeepAlives: !keep}
				if mode.tls {
					dr, err := NewReloader(mode.dialCert)
					if err != nil {
						b.Fatal(err)
					}
					dial.TLSClientConfig = dr.ClientConfig(DialOptions{Roles: []Role{RoleServer}})
				}
				c := &http.Client{Transport: dial}
				for b.Loop() {
					resp, err := c.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				dial.CloseIdleConnections()
			})
		}
		_ = srv.Close()
	}
}

func tlsListener(ln net.Listener, r *Reloader, mutual bool) net.Listener {
	return tls.NewListener(ln, r.ServerConfig(mutual))
}
