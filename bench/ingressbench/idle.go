//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// benchIdle measures what an idle keep-alive client connection costs each
// proxy: the proxy's resident memory (summed over its processes) before
// and after -idle-conns clients each sent one request and keep their
// connection open, then after they closed. Each connection then carries a
// second request, to show the proxy kept them all.
func benchIdle(ctx context.Context, e *env, o options) error {
	ports, err := benchrun.FreePorts(6)
	if err != nil {
		return err
	}
	if o.tls {
		if err := e.makeCert(); err != nil {
			return err
		}
	}
	name := "wharf (1 loop)"
	if o.tls {
		name = "wharf (TLS: goroutines)"
	}
	peers := []idlePeer{
		{name, ports[0], func() (*proc, error) {
			return e.startWharfProxy(ctx, e.self, ports[0], ports[1], o.workers, true, 1)
		}},
		{"haproxy", ports[2], func() (*proc, error) { return e.startHAProxy(ctx, ports[2], o.workers) }},
		{"nginx", ports[3], func() (*proc, error) { return e.startNginxProxy(ctx, ports[3], o.workers) }},
	}
	if o.baseline != "" {
		base := idlePeer{"baseline " + strings.TrimPrefix(name, "wharf "), ports[4], func() (*proc, error) {
			return e.startWharfProxy(ctx, o.baseline, ports[4], ports[5], o.workers, true, 1)
		}}
		peers = append([]idlePeer{peers[0], base}, peers[1:]...)
	}
	over := ""
	if o.tls {
		over = ", over TLS (HTTP/1.1; wharf serves TLS from goroutines)"
	}
	fmt.Printf("\n== idle: %d keep-alive client connections, each after one request (Host %s)%s ==\n", o.idleConns, benchHost, over)
	fmt.Println("| proxy | RSS before | RSS with the connections open | per connection | second request answered | RSS after they closed |\n|---|---|---|---|---|---|")
	for _, pr := range peers {
		p, err := pr.start()
		if err != nil {
			return err
		}
		row, err := idleRun(ctx, p, pr.port, o.idleConns, o.tls)
		p.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", pr.name, err)
		}
		fmt.Printf("| %s | %s |\n", pr.name, row)
	}
	return nil
}

// idlePeer is a proxy benchIdle measures, started by start on port.
type idlePeer struct {
	name  string
	port  int
	start func() (*proc, error)
}

// idleRun opens n connections to port, one request on each, measures the
// proxy's memory with them open, asks again on each, closes them and
// measures again.
func idleRun(ctx context.Context, p *proc, port, n int, useTLS bool) (string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// Warm the proxy (its backend connections) before the baseline.
	for range 4 {
		c, err := idleConn(addr, useTLS)
		if err != nil {
			return "", err
		}
		c.c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	before := procfs.GroupRSSKB(p.pid())
	conns := make([]*idleClient, n)
	var failed atomic.Int64
	var firstErr error
	var mu sync.Mutex
	inParallel(ctx, n, func(i int) {
		c, err := idleConn(addr, useTLS)
		if err != nil {
			failed.Add(1)
			mu.Lock()
			firstErr = cmpErr(firstErr, err)
			mu.Unlock()
			return
		}
		conns[i] = c
	})
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.c.Close()
			}
		}
	}()
	if f := failed.Load(); f > 0 {
		return "", fmt.Errorf("%d of %d connections failed, the first: %v", f, n, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	time.Sleep(time.Second)
	open := procfs.GroupRSSKB(p.pid())
	var again atomic.Int64
	inParallel(ctx, n, func(i int) {
		if conns[i].get() == nil {
			again.Add(1)
		}
	})
	for i, c := range conns {
		c.c.Close()
		conns[i] = nil
	}
	time.Sleep(2 * time.Second)
	after := procfs.GroupRSSKB(p.pid())
	return fmt.Sprintf("%s | %s | %.1f KiB | %d of %d | %s", mib(before), mib(open),
		float64(open-before)/float64(n), again.Load(), n, mib(after)), nil
}

// inParallel runs f(0) to f(n-1), 32 at a time, until ctx ends.
func inParallel(ctx context.Context, n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

func mib(kb int) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// idleClient is one kept connection.
type idleClient struct {
	c  net.Conn
	br *bufio.Reader
}

// idleConn connects to addr (over TLS if useTLS, accepting the run's
// self-signed certificate) and gets one answer.
func idleConn(addr string, useTLS bool) (*idleClient, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if useTLS {
		tc := tls.Client(c, &tls.Config{ServerName: benchHost, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	ic := &idleClient{c: c, br: bufio.NewReaderSize(c, 512)}
	if err := ic.get(); err != nil {
		c.Close()
		return nil, err
	}
	return ic, nil
}

// get sends one request and reads its answer, which must be a 200.
func (ic *idleClient) get() error {
	ic.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(ic.c, "GET / HTTP/1.1\r\nHost: "+benchHost+"\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(ic.br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}
