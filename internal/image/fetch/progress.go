package fetch

import "time"

// sample is the byte count at one instant, for rate computation.
type sample struct {
	at    time.Time
	bytes int64
}

// reporter throttles progress reports to one per reportEvery and computes
// the rate over roughly the last second.
type reporter struct {
	fn      func(Progress)
	file    string
	offset  int64
	total   int64
	last    time.Time
	samples []sample
}

// newReporter starts a reporter for file whose body begins at offset.
func newReporter(fn func(Progress), file string, offset, total int64) *reporter {
	now := time.Now()
	return &reporter{fn: fn, file: file, offset: offset, total: total, last: now,
		samples: []sample{{at: now, bytes: offset}}}
}

// report sends a Progress for bytes unless one was sent less than
// reportEvery ago; final reports are always sent and marked Done.
func (r *reporter) report(bytes int64, final bool) {
	if r == nil || r.fn == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(r.last) < reportEvery {
		return
	}
	r.last = now
	r.samples = append(r.samples, sample{at: now, bytes: bytes})
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= time.Second {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	var rate float64
	if dt := now.Sub(first.at).Seconds(); dt > 0 {
		rate = float64(bytes-first.bytes) / dt
	}
	r.fn(Progress{File: r.file, Bytes: bytes, Total: r.total, Rate: rate, Done: final})
}
