package server

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/state"
)

// EventLimits bound the event stream; zero fields take the defaults.
type EventLimits struct {
	// Buffer is how many recent commits' events are kept for streams
	// that start at an older ?index (Nomad's event_buffer_size). Default
	// 100.
	Buffer int
	// Queue is how many commits' events a stream may fall behind before
	// it is dropped. Default 256.
	Queue int
	// MaxStreams bounds the open streams of this server (default 256),
	// MaxStreamsPerIP those from one client address (default 16).
	MaxStreams      int
	MaxStreamsPerIP int
	// Heartbeat is the interval of the empty {} lines that keep an idle
	// stream alive. Default 30s.
	Heartbeat time.Duration
	// WriteTimeout is how long one write to a stream may block (a
	// client that stops reading) before the stream is dropped. Default
	// 10s.
	WriteTimeout time.Duration
	// Recheck is how often a stream checks that its token may still read
	// what it streams. Default 10s.
	Recheck time.Duration
}

func (l EventLimits) withDefaults() EventLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Buffer, 100)
	def(&l.Queue, 256)
	def(&l.MaxStreams, 256)
	def(&l.MaxStreamsPerIP, 16)
	if l.Heartbeat <= 0 {
		l.Heartbeat = 30 * time.Second
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 10 * time.Second
	}
	if l.Recheck <= 0 {
		l.Recheck = 10 * time.Second
	}
	return l
}

// Refusals of a new stream.
var (
	errTooManyStreams      = errors.New("too many event streams open on this server")
	errTooManyStreamsPerIP = errors.New("too many event streams open from this address")
)

// eventBroker fans the store's changes out to the open event streams and
// keeps the last few commits for streams that start at an older index.
type eventBroker struct {
	log *slog.Logger
	lim EventLimits

	mu    sync.Mutex
	ring  []*changeBatch // the last lim.Buffer commits, oldest at head
	head  int
	subs  map[*subscription]struct{}
	perIP map[string]int

	dropped atomic.Uint64 // streams dropped for falling behind
}

// changeBatch is one store commit's changes, kept as the store handed
// them over: turning them into events is the streams' work, off the
// store's commit path.
type changeBatch struct {
	Index   uint64
	Changes []state.Change
}

// subscription is one open stream's queue. dropped is closed when the
// broker gave up on it (it fell lim.Queue commits behind).
type subscription struct {
	ch      chan *changeBatch
	dropped chan struct{}
	ip      string
}

func newEventBroker(log *slog.Logger, lim EventLimits) *eventBroker {
	lim = lim.withDefaults()
	return &eventBroker{log: log, lim: lim, subs: map[*subscription]struct{}{}, perIP: map[string]int{}}
}

// publish is the store's change listener: it runs inside the store's
// commit, so it only queues the changes (the transaction's own slice,
// which nothing changes afterwards, when every change makes an event)
// and never blocks: a full queue drops its stream. Changes that make no
// event (garbage-collected allocations and evaluations, job versions,
// ACL objects) are not kept, so the buffer holds nothing a collection
// freed.
func (b *eventBroker) publish(index uint64, changes []state.Change) {
	if changes = eventfulOnly(changes); changes == nil {
		return
	}
	batch := &changeBatch{Index: index, Changes: changes}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ring) < b.lim.Buffer {
		b.ring = append(b.ring, batch)
	} else {
		b.ring[b.head] = batch
		b.head = (b.head + 1) % len(b.ring)
	}
	for s := range b.subs {
		select {
		case s.ch <- batch:
		default:
			b.dropLocked(s)
		}
	}
}

// subscribe opens a stream for a client at ip that starts at index (0:
// only new events): buffered commits at index and after are queued first,
// as Nomad's stream starts at the closest index it still holds.
func (b *eventBroker) subscribe(ip string, index uint64) (*subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case len(b.subs) >= b.lim.MaxStreams:
		return nil, errTooManyStreams
	case b.perIP[ip] >= b.lim.MaxStreamsPerIP:
		return nil, errTooManyStreamsPerIP
	}
	s := &subscription{ch: make(chan *changeBatch, b.lim.Queue+b.lim.Buffer), dropped: make(chan struct{}), ip: ip}
	if index > 0 {
		for i := range b.ring {
			if batch := b.ring[(b.head+i)%len(b.ring)]; batch.Index >= index {
				s.ch <- batch
			}
		}
	}
	b.subs[s] = struct{}{}
	b.perIP[ip]++
	return s, nil
}

// unsubscribe ends s (its handler returned).
func (b *eventBroker) unsubscribe(s *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		b.removeLocked(s)
	}
}

func (b *eventBroker) dropLocked(s *subscription) {
	b.removeLocked(s)
	close(s.dropped)
	b.dropped.Add(1)
	b.log.Warn("event stream dropped: the client fell behind", "client", s.ip, "queue", b.lim.Queue)
}

func (b *eventBroker) removeLocked(s *subscription) {
	delete(b.subs, s)
	if b.perIP[s.ip]--; b.perIP[s.ip] <= 0 {
		delete(b.perIP, s.ip)
	}
}

// streams counts the open streams.
func (b *eventBroker) streams() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
