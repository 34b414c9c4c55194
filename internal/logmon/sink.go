package logmon

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Bounds of the followers.
const (
	// MaxFollowers is how many followers one agent serves at once.
	MaxFollowers = 32
	// queueLines is how many lines a follower may fall behind before
	// lines are dropped for it.
	queueLines = 512
)

// ErrTooManyFollowers refuses a follower past MaxFollowers.
var ErrTooManyFollowers = errors.New("too many log monitors on this agent")

// Sink fans log lines out to followers.
type Sink struct {
	mu        sync.Mutex
	followers map[*Follower]struct{}
	// min is the lowest level any follower wants (MaxInt32 when none),
	// read on every log call without the lock; formats counts the
	// followers of text [0] and JSON [1].
	min     atomic.Int64
	formats [2]atomic.Int32
}

// Follower receives the lines at or above its level.
type Follower struct {
	// Lines delivers formatted lines (each ends with a newline).
	Lines   <-chan []byte
	ch      chan []byte
	level   slog.Level
	json    bool
	dropped atomic.Int64
}

// Dropped returns and resets the count of lines lost because the
// follower fell behind.
func (f *Follower) Dropped() int64 { return f.dropped.Swap(0) }

const noFollowers = int64(1 << 31)

func newSink() *Sink {
	s := &Sink{followers: map[*Follower]struct{}{}}
	s.min.Store(noFollowers)
	return s
}

// wants reports whether some follower wants lines at l.
func (s *Sink) wants(l slog.Level) bool { return int64(l) >= s.min.Load() }

// wantsFormat reports whether some follower wants JSON lines (json) or
// text ones.
func (s *Sink) wantsFormat(json bool) bool { return s.formats[formatIndex(json)].Load() > 0 }

func formatIndex(json bool) int {
	if json {
		return 1
	}
	return 0
}

// Follow adds a follower of lines at level or above, formatted as text or,
// with json, as JSON objects.
func (s *Sink) Follow(level slog.Level, json bool) (*Follower, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.followers) >= MaxFollowers {
		return nil, ErrTooManyFollowers
	}
	ch := make(chan []byte, queueLines)
	f := &Follower{Lines: ch, ch: ch, level: level, json: json}
	s.followers[f] = struct{}{}
	s.formats[formatIndex(json)].Add(1)
	s.updateMinLocked()
	return f, nil
}

// Stop removes f.
func (s *Sink) Stop(f *Follower) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.followers[f]; ok {
		delete(s.followers, f)
		s.formats[formatIndex(f.json)].Add(-1)
	}
	s.updateMinLocked()
}

// Followers counts the followers.
func (s *Sink) Followers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.followers)
}

func (s *Sink) updateMinLocked() {
	m := noFollowers
	for f := range s.followers {
		m = min(m, int64(f.level))
	}
	s.min.Store(m)
}

// publish hands a copy of line to every follower that wants level l in
// its format, and counts it dropped for those whose queue is full.
func (s *Sink) publish(l slog.Level, json bool, line []byte) {
	var cp []byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for f := range s.followers {
		if l < f.level || f.json != json {
			continue
		}
		if cp == nil {
			cp = append([]byte(nil), line...)
		}
		select {
		case f.ch <- cp:
		default:
			f.dropped.Add(1)
		}
	}
}
