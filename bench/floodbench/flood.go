//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// raiseLimit sets this process's descriptor limit (soft and hard) to at
// least want when it may, else raises the soft limit to the hard one; it
// returns the soft limit in force.
func raiseLimit(want int) (int, error) {
	if soft, hard, err := netlimit.Limit(); err == nil && hard >= want {
		_, _, err := netlimit.RaiseLimit()
		return max(soft, hard), err
	}
	if err := netlimit.SetLimit(want); err == nil {
		return want, nil
	}
	soft, _, err := netlimit.RaiseLimit()
	return soft, err
}

// floodResult is a flood's connections.
type floodResult struct {
	conns    []net.Conn
	answered int
	took     time.Duration
}

func (f *floodResult) close() {
	for _, c := range f.conns {
		c.Close()
	}
}

// flood opens n connections to addr from sources 127.0.0.x addresses;
// each sends one request (Host nothing.minipot: a 404 from the ingress,
// the connection kept alive) and reads the answer, then stays idle. With
// must, a connection that fails fails the flood; else connections the
// ingress does not take (beyond its cap) time out and are counted.
func flood(ctx context.Context, addr string, n, sources int, must bool) (*floodResult, error) {
	start := time.Now()
	wait := 2 * time.Second
	if !must {
		wait = 300 * time.Millisecond // beyond the cap no answer comes
	}
	res := &floodResult{conns: make([]net.Conn, 0, n)}
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c, ok, err := openIdle(addr, i, sources, wait)
				mu.Lock()
				if c != nil {
					res.conns = append(res.conns, c)
				}
				if ok {
					res.answered++
				}
				if err != nil && must && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	res.took = time.Since(start)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// openIdle opens connection i from source 127.0.0.(2+i%sources), sends a
// request and waits (wait at most) for the answer.
func openIdle(addr string, i, sources int, wait time.Duration) (net.Conn, bool, error) {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%sources))}
	d := net.Dialer{LocalAddr: src, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("connection %d: %w", i, err)
	}
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: nothing.minipot\r\n\r\n")); err != nil {
		return c, false, fmt.Errorf("connection %d: %w", i, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return c, false, fmt.Errorf("connection %d: %w", i, err)
	}
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	return c, resp.StatusCode == http.StatusNotFound, nil
}

// apiLatency times n GET /v1/jobs requests to api over one keep-alive
// connection and formats p50 | p99 | max.
func apiLatency(ctx context.Context, api string, n int) (string, error) {
	cl := &http.Client{Timeout: 10 * time.Second}
	defer cl.CloseIdleConnections()
	ds := make([]time.Duration, 0, n)
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api+"/v1/jobs", nil)
		t := time.Now()
		resp, err := cl.Do(req)
		if err != nil {
			return "", fmt.Errorf("API: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("API: %s", resp.Status)
		}
		ds = append(ds, time.Since(t))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return fmt.Sprintf("%s | %s | %s", round(q(0.5)), round(q(0.99)), round(ds[len(ds)-1])), nil
}

func round(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
