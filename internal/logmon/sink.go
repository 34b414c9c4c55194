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
	// read on every log call without the lock.
	min atomic.Int64
}

// Follower receives the lines at or above its level.
type Follower struct {
	// Lines delivers formatted lines (each ends with a newline).
	Lines   <-chan []byte
	ch      chan []byte
	level   slog.Level
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

// Follow adds a follower of lines at level or above.
func (s *Sink) Follow(level slog.Level) (*Follower, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.followers) >= MaxFollowers {
		return nil, ErrTooManyFollowers
	}
	ch := make(chan []byte, queueLines)
	f := &Follower{Lines: ch, ch: ch, level: level}
	s.followers[f] = struct{}{}
	s.updateMinLocked()
	return f, nil
}

// Stop removes f.
func (s *Sink) Stop(f *Follower) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.followers, f)
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

// publish hands a copy of line to every follower that wants level l, and
// counts it dropped for those whose queue is full.
func (s *Sink) publish(l slog.Level, line []byte) {
	var cp []byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for f := range s.followers {
		if l < f.level {
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
