package proxy

import (
	"sync/atomic"
)

// rateWindow is the window of the moving request rate, in seconds.
const rateWindow = 60

// counter counts requests of one router or service: a total, the server
// errors (5xx), and per-second buckets over the last minute for a rate.
type counter struct {
	total   atomic.Int64
	errors  atomic.Int64
	buckets [rateWindow]bucket
}

type bucket struct {
	sec atomic.Int64
	n   atomic.Int64
}

// add counts one request answered with code at unix second sec.
func (c *counter) add(sec int64, code int) {
	c.total.Add(1)
	if code >= 500 {
		c.errors.Add(1)
	}
	b := &c.buckets[sec%rateWindow]
	if s := b.sec.Load(); s != sec && b.sec.CompareAndSwap(s, sec) {
		b.n.Store(0)
	}
	b.n.Add(1)
}

// rate is the mean requests per second over the minute before sec.
func (c *counter) rate(sec int64) float64 {
	var n int64
	for i := range c.buckets {
		b := &c.buckets[i]
		if s := b.sec.Load(); s > sec-rateWindow && s <= sec {
			n += b.n.Load()
		}
	}
	return float64(n) / rateWindow
}

// counters hands out one counter per name and keeps it across route
// table swaps, so totals and rates survive Updates.
type counters struct {
	m map[string]*counter
}

// get returns the counter of name, creating it.
func (cs *counters) get(name string) *counter {
	if cs.m == nil {
		cs.m = map[string]*counter{}
	}
	c := cs.m[name]
	if c == nil {
		c = &counter{}
		cs.m[name] = c
	}
	return c
}

// keep drops the counters whose names are not in live.
func (cs *counters) keep(live map[string]bool) {
	for name := range cs.m {
		if !live[name] {
			delete(cs.m, name)
		}
	}
}
