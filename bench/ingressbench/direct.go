//go:build linux

package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// directTransport is an experiment beside wharf's proxy, not a
// transport to ship: HTTP/1.1 to one address per pool where the
// handler's goroutine writes the request and reads the response on a
// pooled connection itself, without net/http.Transport's per-connection
// read and write goroutines (and their channel hand-offs and the extra
// read that parks after each response). No TLS, no retries, no
// timeouts, no 1xx.
type directTransport struct {
	mu    sync.Mutex
	pools map[string]chan *directConn
}

var _ http.RoundTripper = (*directTransport)(nil)

// directConn is one pooled connection.
type directConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (t *directTransport) pool(addr string) chan *directConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pools == nil {
		t.pools = map[string]chan *directConn{}
	}
	p := t.pools[addr]
	if p == nil {
		p = make(chan *directConn, 256)
		t.pools[addr] = p
	}
	return p
}

// RoundTrip sends req on an idle connection to its host (or a new one)
// and returns the response; its body returns the connection to the pool
// once read to the end and closed.
func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	pool := t.pool(req.URL.Host)
	var dc *directConn
	select {
	case dc = <-pool:
	default:
		c, err := net.Dial("tcp", req.URL.Host)
		if err != nil {
			return nil, err
		}
		dc = &directConn{c: c, br: bufio.NewReaderSize(c, 8<<10), bw: bufio.NewWriterSize(c, 8<<10)}
	}
	if err := req.Write(dc.bw); err != nil {
		dc.c.Close()
		return nil, err
	}
	if err := dc.bw.Flush(); err != nil {
		dc.c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(dc.br, req)
	if err != nil {
		dc.c.Close()
		return nil, err
	}
	resp.Body = &directBody{rc: resp.Body, dc: dc, pool: pool, keep: !resp.Close}
	return resp, nil
}

// directBody gives the connection back after the body's end.
type directBody struct {
	rc   io.ReadCloser
	dc   *directConn
	pool chan *directConn
	keep bool
	eof  bool
}

func (b *directBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

func (b *directBody) Close() error {
	err := b.rc.Close()
	if b.dc == nil {
		return err
	}
	if b.eof && b.keep && err == nil {
		select {
		case b.pool <- b.dc:
			b.dc = nil
			return nil
		default:
		}
	}
	b.dc.c.Close()
	b.dc = nil
	return err
}
