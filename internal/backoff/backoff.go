// Package backoff is the one capped exponential backoff that wharf's
// retry loops wait by: a delay that starts at a minimum, doubles with
// each failure up to a cap, and is drawn at random from the upper half of
// that value (jitter), so that many agents refused at once do not all
// come back at once.
//
// backoff imports only the standard library. It must never import another
// wharf package: every layer, from the state store to the CLI, uses it.
package backoff

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff paces the retries of one loop: Next after each failure, Reset
// after a success. The zero value of Max means no cap. A Backoff is not
// safe for concurrent use; each loop has its own.
type Backoff struct {
	// Min is the delay after the first failure; it must be positive.
	Min time.Duration
	// Max caps the delay as it doubles; zero or less means no cap.
	Max time.Duration
	// NoJitter makes Next return the delay itself instead of a random
	// duration in its upper half.
	NoJitter bool

	failures int
}

// Next records a failure and returns the delay to wait before the next
// attempt.
func (b *Backoff) Next() time.Duration {
	if b.failures < math.MaxInt {
		b.failures++
	}
	d := Exp(b.Min, b.Max, b.failures)
	if b.NoJitter {
		return d
	}
	return Jitter(d)
}

// Reset forgets the failures: the next delay is Min again.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures returns the failures recorded since the last Reset.
func (b *Backoff) Failures() int { return b.failures }

// Exp returns the delay after failure n (counting from 1; less counts as
// 1): min doubled n-1 times, capped at max when max is positive, and never
// overflowing.
func Exp(min, max time.Duration, n int) time.Duration {
	d := min
	for i := 1; i < n && (max <= 0 || d < max); i++ {
		if d > math.MaxInt64/2 {
			d = math.MaxInt64
			break
		}
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// Jitter returns a random duration in [d/2, d] (d itself when d is at
// most a nanosecond), drawn from the global random source.
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// JitterFrom is Jitter drawing from r, for callers that seed their own
// source.
func JitterFrom(r *rand.Rand, d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + time.Duration(r.Int64N(int64(d/2)+1))
}

// UpTo returns a random duration in [0, max] (0 when max is not
// positive): the spread added on top of a wait that must not be shortened,
// such as a heartbeat TTL, a blocking query's wait or a restart delay.
func UpTo(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Uint64N(uint64(max) + 1))
}
