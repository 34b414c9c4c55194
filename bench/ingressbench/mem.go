//go:build linux

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/proxy"

	"github.com/wharf-project/wharf/bench/internal/latency"
	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// benchMem re-executes this program as `ingressbench mem`, once with the
// proxy served from its event loops (as the agent serves it) and once
// through its net/http handler, and relays their tables.
func benchMem(ctx context.Context, e *env, o options) error {
	for _, serve := range []string{"loops", "handler"} {
		args := []string{"mem", "-routes", strconv.Itoa(o.routes), "-serve", serve,
			"-ports", fmt.Sprintf("%d,%d", e.backends[0], e.backends[1])}
		p, err := e.start("mem", []string{"GOMAXPROCS=" + strconv.Itoa(o.workers)}, e.self, args...)
		if err != nil {
			return err
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.cmd.ProcessState.ExitCode() != 0 {
			return fmt.Errorf("mem -serve %s failed:\n%s", serve, p.out)
		}
		fmt.Print(p.out.String())
	}
	return nil
}

// memMain is `ingressbench mem`: VmRSS of this process (a proxy with an
// empty table, then with -routes services of 2 servers each loaded by
// Update, then after one request to each server), and the times of
// config.Build and Proxy.Update for the whole catalog. The proxy is
// configured and served as the agent does it (-serve loops: the fast
// path from its event loops on a loopback port, reached by a real HTTP
// client) or through its net/http handler called in process (-serve
// handler).
func memMain(args []string) error {
	fs := flag.NewFlagSet("mem", flag.ContinueOnError)
	routes := fs.Int("routes", 1000, "services")
	ports := fs.String("ports", "", "the two backend ports, comma-separated")
	serve := fs.String("serve", "loops", "how requests reach the proxy: loops (a FastServer from event loops, as the agent) or handler (net/http Handler in process)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var a, b int
	if _, err := fmt.Sscanf(*ports, "%d,%d", &a, &b); err != nil {
		return fmt.Errorf("-ports: %w", err)
	}
	if *serve != "loops" && *serve != "handler" {
		return fmt.Errorf("-serve %q: want loops or handler", *serve)
	}
	raiseNoFile()
	loops := *serve == "loops"
	p := proxy.New(proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer p.Close()
	get := handlerGet(p)
	if loops {
		stop, g, err := loopGet(p)
		if err != nil {
			return err
		}
		defer stop()
		get = g
	}
	opts := config.Options{Domain: "minipot", ExposedByDefault: true, EntryPoints: []string{"web"}}
	fmt.Printf("\n== mem: %d services x 2 servers in one proxy process (Build from catalog instances, then Update; served by %s) ==\n", *routes, *serve)
	fmt.Println("| state | VmRSS | Go heap in use |\n|---|---|---|")
	memRow("empty proxy")
	insts := memInstances(*routes, a, b)
	var builds, updates []time.Duration
	for i := range 21 {
		if i > 0 { // one instance flips (and back on the next), as a catalog change does
			in := &insts[0]
			in.Health = map[string]string{config.HealthPassing: config.HealthCritical, config.HealthCritical: config.HealthPassing}[in.Health]
		}
		t0 := time.Now()
		cfg := config.Build(insts, opts)
		t1 := time.Now()
		p.Update(cfg)
		builds, updates = append(builds, t1.Sub(t0)), append(updates, time.Since(t1))
		if i == 0 {
			if n := len(p.Current().Routers); n != *routes {
				return fmt.Errorf("%d routers compiled, want %d", n, *routes)
			}
			memRow(fmt.Sprintf("%d routes loaded (first Update)", *routes))
		}
	}
	memRow("after 20 more Builds+Updates")
	runtime.GC()
	debug.FreeOSMemory()
	memRow("after GC + FreeOSMemory")
	if err := warm(get, *routes); err != nil {
		return err
	}
	memRow(fmt.Sprintf("after one request to each of the %d servers (%d idle backend connections)", 2**routes, 2**routes))
	fmt.Printf("\n| %d services x 2 servers | first | p50 of the next 20 (one instance flipped each time) | max |\n|---|---|---|---|\n", *routes)
	fmt.Printf("| config.Build | %s | %s | %s |\n", latency.MS(builds[0]), latency.MS(latency.Percentile(builds[1:], 50)), latency.MS(latency.Percentile(builds[1:], 100)))
	fmt.Printf("| Proxy.Update | %s | %s | %s |\n", latency.MS(updates[0]), latency.MS(latency.Percentile(updates[1:], 50)), latency.MS(latency.Percentile(updates[1:], 100)))
	return nil
}

// memInstances are n services of two passing instances each, on distinct
// loopback addresses 127.1.x.y (so 2n distinct servers) at ports a and b.
func memInstances(n, a, b int) []config.Instance {
	var out []config.Instance
	for i := range n {
		addr := fmt.Sprintf("127.1.%d.%d", i/250, i%250+1)
		for j, port := range []int{a, b} {
			out = append(out, config.Instance{ID: fmt.Sprintf("svc%04d-%d", i, j), ServiceName: fmt.Sprintf("svc%04d", i),
				Address: addr, Port: port, Health: config.HealthPassing})
		}
	}
	return out
}

// warm sends two requests to each service's router, reaching each of its
// servers once, and wants 200s.
func warm(get func(host string) (int, string, error), n int) error {
	for i := range n {
		for range 2 {
			host := fmt.Sprintf("svc%04d.minipot", i)
			code, body, err := get(host)
			if err != nil {
				return fmt.Errorf("%s: %w", host, err)
			}
			if code != http.StatusOK {
				return fmt.Errorf("%s: %d %q", host, code, body)
			}
		}
	}
	return nil
}

// handlerGet sends a request for host through p's net/http handler.
func handlerGet(p *proxy.Proxy) func(host string) (int, string, error) {
	h := p.Handler("web")
	return func(host string) (int, string, error) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), nil
	}
}

// loopGet serves p's entry point from its event loops on a loopback port
// and returns a function sending a request for host there over one
// keep-alive connection, and one stopping the server.
func loopGet(p *proxy.Proxy) (stop func(), get func(host string) (int, string, error), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	fs := p.NewFastServer("web", proxy.ServerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		FastHTTP1: true, EventLoop: true})
	go fs.Serve(l)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}, Timeout: 10 * time.Second}
	url := "http://" + l.Addr().String() + "/"
	return func() { fs.Close() }, func(host string) (int, string, error) { return getWith(c, url, host) }, nil
}

// memRow prints VmRSS (from /proc) and the Go heap in use.
func memRow(state string) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, _ := procfs.RSSKB(os.Getpid())
	fmt.Printf("| %s | %.1f MiB | %.1f MiB |\n", state, float64(rss)/1024, float64(m.HeapInuse)/(1<<20))
}

// raiseNoFile raises the open-file limit to its hard maximum (warm holds
// one connection per server).
func raiseNoFile() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
