//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
)

// benchHost is the Host header every proxy routes to the backends.
const benchHost = "bench.minipot"

// nginxCommon is the top of every nginx configuration: foreground, its
// files under the run's root, no access log, keep-alive connections
// that last the whole run.
func (e *env) nginxCommon(name string, workers int) string {
	p := e.path(name)
	return fmt.Sprintf(`daemon off;
master_process on;
user root;
worker_processes %d;
pid %s.pid;
error_log %s-error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 9000; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path %s-tmp/body;
  proxy_temp_path %s-tmp/proxy;
  fastcgi_temp_path %s-tmp/fastcgi;
  uwsgi_temp_path %s-tmp/uwsgi;
  scgi_temp_path %s-tmp/scgi;
`, workers, p, p, p, p, p, p, p)
}

// startNginx writes conf as name.conf and runs nginx on it.
func (e *env) startNginx(ctx context.Context, name, conf string, port int) (*proc, error) {
	if err := os.MkdirAll(e.path(name+"-tmp"), 0o700); err != nil {
		return nil, err
	}
	file := e.path(name + ".conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("%s config: %w", name, err)
	}
	p, err := e.start(name, nil, "nginx", "-p", e.root, "-e", e.path(name+"-error.log"), "-c", file)
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(port))
}

// startBackends starts the two backends: one nginx (or, with
// -go-backends, one Go process) answering "a\n" on the first port and
// "b\n" on the second, listening on all addresses of those ports.
func (e *env) startBackends(ctx context.Context, o options) ([]int, error) {
	ports, err := benchrun.FreePorts(2)
	if err != nil {
		return nil, err
	}
	if o.goBackends {
		args := []string{"backend", strconv.Itoa(ports[0]), strconv.Itoa(ports[1])}
		p, err := e.start("go backends", []string{"GOMAXPROCS=" + strconv.Itoa(o.bworkers)}, e.self, args...)
		if err != nil {
			return nil, err
		}
		e.backend = p
		for _, port := range ports {
			if err := waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(port)); err != nil {
				return nil, err
			}
		}
		return ports, nil
	}
	var b strings.Builder
	b.WriteString(e.nginxCommon("backend", o.bworkers))
	for i, port := range ports {
		fmt.Fprintf(&b, "  server { listen %d backlog=4096; default_type text/plain; location / { return 200 \"%c\\n\"; } }\n", port, 'a'+i)
	}
	b.WriteString("}\n")
	p, err := e.startNginx(ctx, "backend", b.String(), ports[0])
	if err != nil {
		return nil, err
	}
	e.backend = p
	return ports, waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(ports[1]))
}

// startNginxProxy runs nginx as the peer proxy on port: upstream with
// keepalive 64 over HTTP/1.1, Host bench.minipot routed, others 404.
func (e *env) startNginxProxy(ctx context.Context, port, workers int) (*proc, error) {
	var b strings.Builder
	b.WriteString(e.nginxCommon("nginx", workers))
	ssl, certs := e.nginxTLS()
	b.WriteString(certs)
	fmt.Fprintf(&b, `  upstream bench {
    server 127.0.0.1:%d;
    server 127.0.0.1:%d;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server { listen 127.0.0.1:%d default_server backlog=4096%s; return 404 "404 page not found\n"; }
  server {
    listen 127.0.0.1:%d%s;
    server_name %s;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`, e.backends[0], e.backends[1], port, ssl, port, ssl, benchHost)
	return e.startNginx(ctx, "nginx", b.String(), port)
}

// haproxyTLS is what a TLS run adds to haproxy's bind line.
func (e *env) haproxyTLS() string {
	if e.pem == "" {
		return ""
	}
	return " ssl crt " + e.pem + " alpn http/1.1"
}

// nginxTLS is what a TLS run adds to nginx's listen lines, and the
// certificate lines.
func (e *env) nginxTLS() (listen, certs string) {
	if e.cert == "" {
		return "", ""
	}
	return " ssl", fmt.Sprintf("  ssl_certificate %s;\n  ssl_certificate_key %s;\n", e.cert, e.key)
}

// startHAProxy runs haproxy as the peer proxy on port: http mode,
// roundrobin, http-reuse always, Host bench.minipot routed, others 404.
func (e *env) startHAProxy(ctx context.Context, port, workers int) (*proc, error) {
	conf := fmt.Sprintf(`global
  nbthread %d
  maxconn 9000
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
frontend fe
  bind 127.0.0.1:%d backlog 4096%s
  option forwardfor
  http-request return status 404 content-type text/plain string "404 page not found" if !{ req.hdr(host) -i %s }
  default_backend be
backend be
  balance roundrobin
  server a 127.0.0.1:%d
  server b 127.0.0.1:%d
`, workers, port, e.haproxyTLS(), benchHost, e.backends[0], e.backends[1])
	file := e.path("haproxy.cfg")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("haproxy config: %w", err)
	}
	p, err := e.start("haproxy", nil, "haproxy", "-db", "-f", file)
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(port))
}

// startWharfProxy re-executes this program as `ingressbench proxy` on
// port with GOMAXPROCS workers and net/http/pprof on pprofPort, with the
// HTTP/1.1 fast path if fast.
func (e *env) startWharfProxy(ctx context.Context, bin string, port, pprofPort, workers int, fast bool, loops int) (*proc, error) {
	args := []string{"proxy", "-fast=" + strconv.FormatBool(fast), "-loop=" + strconv.FormatBool(loops > 0), "-loops", strconv.Itoa(loops), "-listen", "127.0.0.1:" + strconv.Itoa(port),
		"-pprof", "127.0.0.1:" + strconv.Itoa(pprofPort),
		"-backends", fmt.Sprintf("http://127.0.0.1:%d,http://127.0.0.1:%d", e.backends[0], e.backends[1])}
	if e.cert != "" {
		args = append(args, "-tls-cert", e.cert, "-tls-key", e.key)
	}
	p, err := e.start("wharf proxy", append([]string{"GOMAXPROCS=" + strconv.Itoa(workers)}, e.wharfEnv...), bin, args...)
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(port))
}

// startBare re-executes this program as `ingressbench bare` on port,
// with directTransport if direct.
func (e *env) startBare(ctx context.Context, port, workers int, direct bool) (*proc, error) {
	args := []string{"bare", "-direct=" + strconv.FormatBool(direct), "-listen", "127.0.0.1:" + strconv.Itoa(port),
		"-backends", fmt.Sprintf("http://127.0.0.1:%d,http://127.0.0.1:%d", e.backends[0], e.backends[1])}
	p, err := e.start("bare Go proxy", []string{"GOMAXPROCS=" + strconv.Itoa(workers)}, e.self, args...)
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, "127.0.0.1:"+strconv.Itoa(port))
}
