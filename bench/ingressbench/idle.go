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
	ports, err := benchrun.FreePorts(8)
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
		{name, ports[0], ports[1], func() (*proc, error) {
			return e.startWharfProxy(ctx, e.self, ports[0], ports[1], o.workers, true, 1)
		}},
		{"haproxy", ports[2], 0, func() (*proc, error) { return e.startHAProxy(ctx, ports[2], o.workers) }},
		{"nginx", ports[3], 0, func() (*proc, error) { return e.startNginxProxy(ctx, ports[3], o.workers) }},
	}
	if !o.tls {
		peers = append(peers, idlePeer{"wharf fast (goroutines)", ports[6], ports[7], func() (*proc, error) {
			return e.startWharfProxy(ctx, e.self, ports[6], ports[7], o.workers, true, 0)
		}})
	}
	if o.baseline != "" {
		bname := "baseline " + strings.TrimPrefix(name, "wharf ")
		if o.baseLoops == 0 {
			bname = "baseline fast (goroutines)"
		}
		base := idlePeer{bname, ports[4], ports[5], func() (*proc, error) {
			return e.startWharfProxy(ctx, o.baseline, ports[4], ports[5], o.workers, true, o.baseLoops)
		}}
		peers = append([]idlePeer{peers[0], base}, peers[1:]...)
	}
	over := ""
	if o.tls {
		over = ", over TLS (HTTP/1.1; wharf serves TLS from goroutines)"
	}
	fmt.Printf("\n== idle: %d keep-alive client connections, each after one request (Host %s)%s ==\n", o.idleConns, benchHost, over)
	fmt.Printf("| proxy | RSS before | RSS with the connections open (%v idle) | per connection | Go heap per connection | second request answered | RSS after they closed |\n|---|---|---|---|---|---|---|\n", idleSettle)
	for _, pr := range peers {
		p, err := pr.start()
		if err != nil {
			return err
		}
		row, err := idleRun(ctx, p, pr, o.idleConns, o.tls)
		p.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", pr.name, err)
		}
		fmt.Printf("| %s | %s |\n", pr.name, row)
	}
	return nil
}

// idleSettle is how long the connections idle before the proxy's memory
// is read: past the 2 s a connection served by a goroutine waits with its
// buffers. (The freed buffers are Go heap the process keeps until a
// collection and Go's scavenger: the Go heap column shows what is held.)
const idleSettle = 3 * time.Second

// idlePeer is a proxy benchIdle measures, started by start on port;
// heapPort, if not 0, serves the Go heap in use (wharf's /debug/heap).
type idlePeer struct {
	name     string
	port     int
	heapPort int
	start    func() (*proc, error)
}

// idleRun opens n connections to port, one request on each, measures the
// proxy's memory with them open, asks again on each, closes them and
// measures again.
func idleRun(ctx context.Context, p *proc, pr idlePeer, n int, useTLS bool) (string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(pr.port)
	// Warm the proxy (its backend connections) before the baseline.
	for range 4 {
		c, err := idleConn(addr, useTLS)
		if err != nil {
			return "", err
		}
		c.c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	before, heapBefore := procfs.GroupRSSKB(p.pid()), goHeap(pr.heapPort)
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
	time.Sleep(idleSettle)
	open, heapOpen := procfs.GroupRSSKB(p.pid()), goHeap(pr.heapPort)
	perHeap := "-"
	if heapBefore >= 0 && heapOpen >= 0 {
		perHeap = fmt.Sprintf("%.1f KiB", float64(heapOpen-heapBefore)/1024/float64(n))
	}
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
	return fmt.Sprintf("%s | %s | %.1f KiB | %s | %d of %d | %s", mib(before), mib(open),
		float64(open-before)/float64(n), perHeap, again.Load(), n, mib(after)), nil
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

// goHeap is the Go heap in use, in bytes, of the wharf proxy serving
// /debug/heap on port, or -1.
func goHeap(port int) int64 {
	if port == 0 {
		return -1
	}
	_, body, err := getWith(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(port)+"/debug/heap", "")
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(body, 10, 64)
	if err != nil {
		return -1
	}
	return n
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
