package proxy

import (
	"net/http/httputil"
	"sync"
)

var _ httputil.BufferPool = (*bufferPool)(nil)

// bufferPool recycles the 32 KiB copy buffers of responses, which the
// reverse proxy otherwise allocates per request.
type bufferPool struct {
	pool sync.Pool
}

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

// Get returns a buffer.
func (bp *bufferPool) Get() []byte { return *bp.pool.Get().(*[]byte) }

// Put returns b to the pool.
func (bp *bufferPool) Put(b []byte) { bp.pool.Put(&b) }
