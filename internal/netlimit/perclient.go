package netlimit

import (
	"net"
	"sync"
)

// PerClient counts connections by client address (the IP, without the
// port) against a cap, so that one client cannot hold all of a
// listener's connections. A nil *PerClient has no cap. It is safe for
// concurrent use.
type PerClient struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// NewPerClient returns a per-client cap of max connections; max <= 0
// means none (nil).
func NewPerClient(max int) *PerClient {
	if max <= 0 {
		return nil
	}
	return &PerClient{max: max, n: map[string]int{}}
}

// Cap is the most connections one client may hold; 0 without a cap.
func (p *PerClient) Cap() int {
	if p == nil {
		return 0
	}
	return p.max
}

// take counts a connection of the client at addr, or reports false when
// that client holds the cap already.
func (p *PerClient) take(addr net.Addr) (string, bool) {
	if p == nil {
		return "", true
	}
	ip := clientIP(addr)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[ip] >= p.max {
		return ip, false
	}
	p.n[ip]++
	return ip, true
}

// give forgets a connection of the client ip.
func (p *PerClient) give(ip string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[ip] <= 1 {
		delete(p.n, ip)
		return
	}
	p.n[ip]--
}

// clientIP is addr's IP, or the whole address when it has no port.
func clientIP(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	s := addr.String()
	if host, _, err := net.SplitHostPort(s); err == nil {
		return host
	}
	return s
}
