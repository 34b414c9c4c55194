package proxy

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// probeAfter is how long a pooled connection may sit idle before the fast
// path checks, without blocking, that the server has not closed it.
const probeAfter = time.Second

// bconn is a keep-alive connection to a server on the fast path, with
// no goroutine of its own, and buffers from the pools while it is in use
// (an idle one in a pool holds none).
type bconn struct {
	c        net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	deadline time.Time
	// wdeadline is the write deadline last set on c.
	wdeadline time.Time
	idleAt    time.Time
}

// setDeadline is fastConn.setDeadline for a server connection.
func (bc *bconn) setDeadline(d time.Time) {
	if !bc.deadline.IsZero() && d.Sub(bc.deadline) < time.Second && bc.deadline.Sub(d) < time.Second {
		return
	}
	bc.deadline = d
	bc.c.SetReadDeadline(d)
}

// clearDeadline removes the read deadline before a body is streamed.
func (bc *bconn) clearDeadline() {
	if !bc.deadline.IsZero() {
		bc.deadline = time.Time{}
		bc.c.SetReadDeadline(time.Time{})
	}
}

// close closes the connection and frees its buffers.
func (bc *bconn) close() {
	bc.c.Close()
	bc.dropBuffers()
}

// takeBuffers gives the connection buffers from the pools.
func (bc *bconn) takeBuffers() {
	bc.br = readerPool.Get().(*bufio.Reader)
	bc.br.Reset(bc.c)
	bc.bw = writerPool.Get().(*bufio.Writer)
	bc.bw.Reset(bc.c)
}

// dropBuffers returns the buffers, if it holds them, to the pools.
func (bc *bconn) dropBuffers() {
	if bc.br == nil {
		return
	}
	bc.br.Reset(nil)
	bc.bw.Reset(nil)
	readerPool.Put(bc.br)
	writerPool.Put(bc.bw)
	bc.br, bc.bw = nil, nil
}

// alive reports whether an idle connection is still open: no byte and no
// EOF is waiting on it.
func (bc *bconn) alive() bool {
	bc.c.SetReadDeadline(time.Unix(1, 0))
	var b [1]byte
	n, err := bc.c.Read(b[:])
	bc.deadline = time.Unix(1, 0)
	var ne net.Error
	return n == 0 && asNetError(err, &ne) && ne.Timeout()
}

func asNetError(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	*ne = e
	return ok
}

// fastPool is the idle connections to one server, newest last.
type fastPool struct {
	mu   sync.Mutex
	idle []*bconn
	// gone is set when the server left the table; put then closes.
	gone bool
}

// poolSet is a *fastPool per server URL: a FastServer's, used by its
// goroutines, and one per event loop (a loop's connections live in its
// epoll set). Each is kept with the Proxy (a serverKeeper).
type poolSet struct{ m sync.Map }

// of returns the pool of b's server.
func (ps *poolSet) of(b *backend) *fastPool {
	if v, ok := ps.m.Load(b.raw); ok {
		return v.(*fastPool)
	}
	v, _ := ps.m.LoadOrStore(b.raw, &fastPool{})
	return v.(*fastPool)
}

// prune closes the pools of servers not in live.
func (ps *poolSet) prune(live map[string]bool) {
	ps.m.Range(func(k, v any) bool {
		if !live[k.(string)] {
			ps.m.Delete(k)
			fp := v.(*fastPool)
			fp.mu.Lock()
			fp.gone = true
			idle := fp.idle
			fp.idle = nil
			fp.mu.Unlock()
			for _, bc := range idle {
				bc.close()
			}
		}
		return true
	})
}

// pool returns the pool of b's server for fc: its loop's, or its
// server's.
func (fc *fastConn) pool(b *backend) *fastPool { return fc.pools.of(b) }

// dial opens a connection to b: from fc's loop, or with the dialer.
func (fc *fastConn) dial(b *backend) (*bconn, error) {
	var c net.Conn
	var err error
	if fc.lp != nil {
		c, err = fc.lp.Dial(backendAddr(b), fc.p.opts.DialTimeout)
	} else {
		c, err = fc.p.dialer.Dial("tcp", backendAddr(b))
	}
	if err != nil {
		return nil, err
	}
	bc := &bconn{c: c}
	bc.takeBuffers()
	return bc, nil
}

// get returns an idle connection that is still usable, or nil.
func (fp *fastPool) get(now time.Time, idleTimeout time.Duration) *bconn {
	for {
		fp.mu.Lock()
		n := len(fp.idle)
		if n == 0 {
			fp.mu.Unlock()
			return nil
		}
		bc := fp.idle[n-1]
		fp.idle[n-1] = nil
		fp.idle = fp.idle[:n-1]
		fp.mu.Unlock()
		idle := now.Sub(bc.idleAt)
		if idle < probeAfter || idle < idleTimeout && bc.alive() {
			bc.takeBuffers()
			return bc
		}
		bc.close()
	}
}

// put keeps bc for reuse, closing it when the pool is full or gone, and
// closes connections idle longer than idleTimeout.
func (fp *fastPool) put(bc *bconn, now time.Time, maxIdle int, idleTimeout time.Duration) {
	if bc.br.Buffered() > 0 || bc.bw.Buffered() > 0 {
		bc.close() // the server sent more than its answer: not reusable
		return
	}
	bc.dropBuffers()
	bc.idleAt = now
	fp.mu.Lock()
	var stale *bconn
	if len(fp.idle) > 0 && now.Sub(fp.idle[0].idleAt) > idleTimeout {
		stale = fp.idle[0]
		copy(fp.idle, fp.idle[1:])
		fp.idle[len(fp.idle)-1] = nil
		fp.idle = fp.idle[:len(fp.idle)-1]
	}
	keep := !fp.gone && len(fp.idle) < maxIdle
	if keep {
		fp.idle = append(fp.idle, bc)
	}
	fp.mu.Unlock()
	if stale != nil {
		stale.close()
	}
	if !keep {
		bc.close()
	}
}

// backendAddr is the host:port to dial for b (an http server).
func backendAddr(b *backend) string {
	if b.url.Port() == "" {
		return net.JoinHostPort(b.url.Hostname(), "80")
	}
	return b.url.Host
}
