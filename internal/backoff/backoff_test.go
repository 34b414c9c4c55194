package backoff

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestExp(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name     string
		min, max time.Duration
		n        int
		want     time.Duration
	}{
		{"first", 50 * ms, 5 * time.Second, 1, 50 * ms},
		{"below one counts as first", 50 * ms, 5 * time.Second, 0, 50 * ms},
		{"negative counts as first", 50 * ms, 5 * time.Second, -3, 50 * ms},
		{"doubles", 50 * ms, 5 * time.Second, 3, 200 * ms},
		{"capped", 50 * ms, 5 * time.Second, 8, 5 * time.Second},
		{"cap not a power of two times min", 50 * ms, 300 * ms, 4, 300 * ms},
		{"huge n capped", 50 * ms, 5 * time.Second, math.MaxInt, 5 * time.Second},
		{"no cap", time.Second, 0, 4, 8 * time.Second},
		{"no cap never overflows", time.Second, 0, 1000, math.MaxInt64},
		{"cap below min", time.Second, 100 * ms, 1, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Exp(tt.min, tt.max, tt.n); got != tt.want {
				t.Fatalf("Exp(%v, %v, %d) = %v, want %v", tt.min, tt.max, tt.n, got, tt.want)
			}
		})
	}
}

func TestJitterRange(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, 3, time.Millisecond, time.Second, math.MaxInt64} {
		lo, hi := d/2, d
		if d <= 1 {
			lo = d
		}
		seenLow, seenHigh := false, false
		r := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			for _, got := range []time.Duration{Jitter(d), JitterFrom(r, d)} {
				if got < lo || got > hi {
					t.Fatalf("jitter of %v = %v, outside [%v, %v]", d, got, lo, hi)
				}
				seenLow = seenLow || got < lo+(hi-lo)/4
				seenHigh = seenHigh || got > hi-(hi-lo)/4
			}
		}
		if d >= time.Millisecond && (!seenLow || !seenHigh) {
			t.Fatalf("jitter of %v does not spread over its range (low %v, high %v)", d, seenLow, seenHigh)
		}
	}
}

func TestJitterFromIsDeterministic(t *testing.T) {
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 100 {
		if x, y := JitterFrom(a, time.Second), JitterFrom(b, time.Second); x != y {
			t.Fatalf("same seed, different draws: %v and %v", x, y)
		}
	}
}

func TestBackoffSequence(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, NoJitter: true}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.Next(); got != w*time.Millisecond {
			t.Fatalf("delay %d = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if b.Failures() != len(want) {
		t.Fatalf("Failures() = %d, want %d", b.Failures(), len(want))
	}
	b.Reset()
	if got := b.Next(); got != 100*time.Millisecond || b.Failures() != 1 {
		t.Fatalf("after Reset: %v with %d failures", got, b.Failures())
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	b := Backoff{Min: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	for i := 1; i <= 10; i++ {
		d := b.Next()
		ceil := Exp(b.Min, b.Max, i)
		if d < ceil/2 || d > ceil {
			t.Fatalf("delay %d = %v, outside [%v, %v]", i, d, ceil/2, ceil)
		}
	}
}

func TestUpTo(t *testing.T) {
	tests := []struct {
		max  time.Duration
		want func(time.Duration) bool
	}{
		{-time.Second, func(d time.Duration) bool { return d == 0 }},
		{0, func(d time.Duration) bool { return d == 0 }},
		{1, func(d time.Duration) bool { return d == 0 || d == 1 }},
		{time.Second, func(d time.Duration) bool { return d >= 0 && d <= time.Second }},
		{math.MaxInt64, func(d time.Duration) bool { return d >= 0 }},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 500 {
			d := UpTo(tt.max)
			if !tt.want(d) {
				t.Fatalf("UpTo(%v) = %v", tt.max, d)
			}
			seen[d] = true
		}
		if tt.max >= time.Second && len(seen) < 100 {
			t.Fatalf("UpTo(%v): %d distinct values in 500 draws", tt.max, len(seen))
		}
	}
}
