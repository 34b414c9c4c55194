package proxy

import (
	"hash/fnv"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// backend is one server of a service: its target URL and the state that
// outlives route table swaps (passive health, counters).
type backend struct {
	raw    string
	url    *url.URL
	weight int
	health string
	// cookie is the sticky cookie value naming this backend.
	cookie string
	state  *serverState
}

// serverState is kept per server URL across Updates, so a server taken
// out passively stays out although the table is rebuilt.
type serverState struct {
	downUntil atomic.Int64 // unix nanoseconds
	requests  atomic.Int64
	failures  atomic.Int64
}

// down reports whether the server is passively down at now (unix ns).
func (s *serverState) down(now int64) bool {
	return s.downUntil.Load() > now
}

// markDown takes the server out until now+d.
func (s *serverState) markDown(now int64, d time.Duration) {
	s.failures.Add(1)
	s.downUntil.Store(now + int64(d))
}

// wrrEntry is a backend with its smooth weighted round robin weight.
type wrrEntry struct {
	b       *backend
	current int
}

// balancer is nginx-style smooth weighted round robin over backends,
// skipping passively down ones: with equal weights picks alternate
// exactly, and with weights 10:1 the light server gets one pick in
// eleven, spread out.
type balancer struct {
	mu       sync.Mutex
	entries  []wrrEntry
	byCookie map[string]*backend
	// sig identifies the server list so Update can keep the rotation
	// state of an unchanged service.
	sig string
}

// newBalancer returns a balancer over backends.
func newBalancer(backends []*backend) *balancer {
	lb := &balancer{entries: make([]wrrEntry, len(backends)), byCookie: make(map[string]*backend, len(backends))}
	sig := make([]byte, 0, 64*len(backends))
	for i, b := range backends {
		lb.entries[i] = wrrEntry{b: b}
		lb.byCookie[b.cookie] = b
		sig = append(sig, b.raw...)
		sig = append(sig, ' ')
		sig = strconv.AppendInt(sig, int64(b.weight), 10)
		sig = append(sig, ';')
	}
	lb.sig = string(sig)
	return lb
}

// next picks the next backend that is not down and not in tried, or nil.
func (lb *balancer) next(now int64, tried []*backend) *backend {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	total := 0
	var best *wrrEntry
	for i := range lb.entries {
		e := &lb.entries[i]
		if e.b.state.down(now) || contains(tried, e.b) {
			continue
		}
		e.current += e.b.weight
		total += e.b.weight
		if best == nil || e.current > best.current {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	best.current -= total
	return best.b
}

// sticky returns the backend a sticky cookie value names, if it is up.
func (lb *balancer) sticky(value string, now int64) *backend {
	b := lb.byCookie[value]
	if b == nil || b.state.down(now) {
		return nil
	}
	return b
}

// available counts the backends that are not passively down.
func (lb *balancer) available(now int64) int {
	n := 0
	for i := range lb.entries {
		if !lb.entries[i].b.state.down(now) {
			n++
		}
	}
	return n
}

// size is the number of backends.
func (lb *balancer) size() int { return len(lb.entries) }

func contains(list []*backend, b *backend) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

// cookieValue is the sticky cookie value of a server URL: a short hash,
// so the cookie does not reveal backend addresses.
func cookieValue(rawURL string) string {
	h := fnv.New64a()
	h.Write([]byte(rawURL))
	return strconv.FormatUint(h.Sum64(), 16)
}
