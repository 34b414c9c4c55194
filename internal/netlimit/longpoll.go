package netlimit

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// LongPolls counts the blocking queries (long polls) waiting on an agent,
// in all and per client IP, against caps: a waiting query holds a
// connection (or, over HTTP/2, a stream, which the connection caps do not
// see) for up to its wait, so that without a cap one client could hold
// every slot of the API with long polls. A nil *LongPolls has no caps. It
// is safe for concurrent use.
type LongPolls struct {
	perClient, total int
	mu               sync.Mutex
	n                map[string]int
	all              int
}

// NewLongPolls returns caps of perClient long polls per client IP and
// total in all; a cap <= 0 is none.
func NewLongPolls(perClient, total int) *LongPolls {
	return &LongPolls{perClient: perClient, total: total, n: map[string]int{}}
}

// Caps returns the per-client and total caps (0: none).
func (l *LongPolls) Caps() (perClient, total int) {
	if l == nil {
		return 0, 0
	}
	return max(l.perClient, 0), max(l.total, 0)
}

// Take counts a long poll of the client at remoteAddr ("ip:port"), or
// returns an error naming the cap it would pass. release forgets it.
func (l *LongPolls) Take(remoteAddr string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	ip := remoteAddr
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		ip = host
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.all >= l.total {
		return nil, fmt.Errorf("%d blocking queries are waiting on this agent, the limit; retry later", l.all)
	}
	if l.perClient > 0 && l.n[ip] >= l.perClient {
		return nil, fmt.Errorf("%d blocking queries from %s are waiting, the limit for one client (half of limits.max_conns_per_client); retry later",
			l.n[ip], ip)
	}
	l.n[ip]++
	l.all++
	var once sync.Once
	return func() { once.Do(func() { l.give(ip) }) }, nil
}

// give forgets a long poll of ip.
func (l *LongPolls) give(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all--
	if l.n[ip] <= 1 {
		delete(l.n, ip)
		return
	}
	l.n[ip]--
}

// LongPollRetryAfter is the Retry-After, in seconds, of a long poll
// refused for a cap.
const LongPollRetryAfter = 5

// LimitLongPolls serves h, counting each blocking query (a request with a
// query parameter index above 0, as Nomad's and Consul's APIs block on)
// against l while it runs: one over a cap is answered 429 Too Many
// Requests with the cap's reason and Retry-After, before h sees it.
func LimitLongPolls(h http.Handler, l *LongPolls) http.Handler {
	if l == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLongPoll(r) {
			h.ServeHTTP(w, r)
			return
		}
		release, err := l.Take(r.RemoteAddr)
		if err != nil {
			w.Header().Set("Retry-After", strconv.Itoa(LongPollRetryAfter))
			http.Error(w, err.Error(), http.StatusTooManyRequests)
			return
		}
		defer release()
		h.ServeHTTP(w, r)
	})
}

// isLongPoll reports whether r is a blocking query: ?index= above 0.
func isLongPoll(r *http.Request) bool {
	if r.URL == nil || r.URL.RawQuery == "" {
		return false
	}
	v := r.URL.Query().Get("index")
	n, err := strconv.ParseUint(v, 10, 64)
	return err == nil && n > 0
}
