package server

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// broker is the leader's queue of pending evaluations. At most one
// evaluation per job is in flight; evaluations with a WaitUntil in the
// future wait until then; the rest are handed out by priority, oldest
// first.
type broker struct {
	mu       sync.Mutex
	ready    evalHeap
	waiting  map[structs.NamespacedID][]*structs.Evaluation // behind an in-flight eval of the same job
	inflight map[structs.NamespacedID]bool
	queued   map[string]uint64 // eval ID -> ModifyIndex queued or in flight
	done     map[string]uint64 // eval ID -> ModifyIndex already processed
	timers   map[string]*time.Timer
	wake     chan struct{}
	closed   bool
}

func newBroker() *broker {
	return &broker{
		waiting: map[structs.NamespacedID][]*structs.Evaluation{}, inflight: map[structs.NamespacedID]bool{},
		queued: map[string]uint64{}, done: map[string]uint64{}, timers: map[string]*time.Timer{},
		wake: make(chan struct{}, 1),
	}
}

func jobKey(e *structs.Evaluation) structs.NamespacedID {
	return structs.NamespacedID{Namespace: e.Namespace, ID: e.JobID}
}

// enqueue adds a pending evaluation unless this version of it is already
// queued or processed.
func (b *broker) enqueue(e *structs.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.done[e.ID] >= e.ModifyIndex && b.done[e.ID] != 0 {
		return
	}
	if idx, ok := b.queued[e.ID]; ok && idx >= e.ModifyIndex {
		return
	}
	b.queued[e.ID] = e.ModifyIndex
	if d := time.Until(e.WaitUntil); !e.WaitUntil.IsZero() && d > 0 {
		b.timers[e.ID] = time.AfterFunc(d, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			delete(b.timers, e.ID)
			if !b.closed {
				b.makeReady(e)
			}
		})
		return
	}
	b.makeReady(e)
}

// makeReady queues e behind its job's in-flight evaluation, or as ready.
func (b *broker) makeReady(e *structs.Evaluation) {
	k := jobKey(e)
	if b.inflight[k] {
		b.waiting[k] = append(b.waiting[k], e)
		return
	}
	heap.Push(&b.ready, e)
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// dequeue returns the next ready evaluation, waiting until one is ready
// or ctx ends.
func (b *broker) dequeue(ctx context.Context) (*structs.Evaluation, error) {
	for {
		b.mu.Lock()
		for b.ready.Len() > 0 {
			e := heap.Pop(&b.ready).(*structs.Evaluation)
			k := jobKey(e)
			if b.inflight[k] {
				b.waiting[k] = append(b.waiting[k], e)
				continue
			}
			b.inflight[k] = true
			more := b.ready.Len() > 0
			b.mu.Unlock()
			if more {
				b.signal()
			}
			return e, nil
		}
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.wake:
		}
	}
}

func (b *broker) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// ack finishes e: index is the store index of its final write. The next
// waiting evaluation of the same job becomes ready.
func (b *broker) ack(e *structs.Evaluation, index uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := jobKey(e)
	delete(b.inflight, k)
	delete(b.queued, e.ID)
	b.done[e.ID] = max(index, e.ModifyIndex, 1)
	if len(b.done) > 100_000 {
		b.done = map[string]uint64{}
	}
	if w := b.waiting[k]; len(w) > 0 {
		next := w[0]
		if len(w) == 1 {
			delete(b.waiting, k)
		} else {
			b.waiting[k] = w[1:]
		}
		heap.Push(&b.ready, next)
		b.signal()
	}
}

// close drops everything queued.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, t := range b.timers {
		t.Stop()
	}
}

// evalHeap orders evaluations by priority (highest first), then by age.
type evalHeap []*structs.Evaluation

func (h evalHeap) Len() int { return len(h) }
func (h evalHeap) Less(i, j int) bool {
	if h[i].Priority != h[j].Priority {
		return h[i].Priority > h[j].Priority
	}
	if h[i].CreateIndex != h[j].CreateIndex {
		return h[i].CreateIndex < h[j].CreateIndex
	}
	return h[i].CreateTime < h[j].CreateTime
}
func (h evalHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evalHeap) Push(x any)   { *h = append(*h, x.(*structs.Evaluation)) }
func (h *evalHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return x
}
