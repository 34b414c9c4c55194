package netlimit

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// Limiter counts the connections of one role against a cap. A nil
// *Limiter has no cap and counts nothing. It is safe for concurrent use.
type Limiter struct {
	name string
	max  int
	sem  chan struct{}
	// full counts the times an acquire found the cap reached.
	full atomic.Int64
	// warned is when the last warning was logged (unix nanoseconds).
	warned atomic.Int64
}

// NewLimiter returns a limiter of max connections (at least one) named
// name in logs and errors.
func NewLimiter(name string, max int) *Limiter {
	max = Max(max, 1)
	return &Limiter{name: name, max: max, sem: make(chan struct{}, max)}
}

// Max returns the larger of a and b.
func Max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Name is the limiter's name.
func (l *Limiter) Name() string {
	if l == nil {
		return ""
	}
	return l.name
}

// Cap is the most connections the limiter lets in; 0 without a cap.
func (l *Limiter) Cap() int {
	if l == nil {
		return 0
	}
	return l.max
}

// InUse is how many connections hold a slot now.
func (l *Limiter) InUse() int {
	if l == nil {
		return 0
	}
	return len(l.sem)
}

// Refusals counts the times a connection had to wait for, or was
// denied, a slot because the cap was reached.
func (l *Limiter) Refusals() int64 {
	if l == nil {
		return 0
	}
	return l.full.Load()
}

// TryAcquire takes a slot if one is free.
func (l *Limiter) TryAcquire() bool {
	if l == nil {
		return true
	}
	select {
	case l.sem <- struct{}{}:
		return true
	default:
		l.full.Add(1)
		return false
	}
}

// Acquire takes a slot, waiting for one to free up; false if stop is
// closed first.
func (l *Limiter) Acquire(stop <-chan struct{}) bool {
	if l == nil {
		return true
	}
	if l.TryAcquire() {
		return true
	}
	select {
	case l.sem <- struct{}{}:
		return true
	case <-stop:
		return false
	}
}

// Release gives a slot back.
func (l *Limiter) Release() {
	if l == nil {
		return
	}
	select {
	case <-l.sem:
	default: // more releases than acquires: nothing to give back
	}
}

// warnEvery is the least time between two warnings of a limiter.
const warnEvery = time.Minute

// unlimitedWarned is when a connection without a limiter last warned.
var unlimitedWarned atomic.Int64

// Warn logs msg at warning level with the limiter's figures, at most
// once a minute per limiter; err, when set, is logged with the
// process's descriptor budget.
func (l *Limiter) Warn(log *slog.Logger, msg, addr string, err error) {
	w := &unlimitedWarned
	if l != nil {
		w = &l.warned
	}
	now := time.Now().UnixNano()
	last := w.Load()
	if last != 0 && now-last < int64(warnEvery) || !w.CompareAndSwap(last, now) {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	args := []any{"listener", l.Name(), "addr", addr, "cap", l.Cap(), "in_use", l.InUse()}
	if err != nil {
		args = append(args, "err", err)
		args = append(args, BudgetAttrs()...)
	}
	log.Warn(msg, args...)
}
