package client

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// sink records the batches an updater sends; fail makes the next sends
// fail.
type sink struct {
	mu      sync.Mutex
	batches [][]*structs.Allocation
	fail    int
}

func (s *sink) send(_ context.Context, b []*structs.Allocation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("server down")
	}
	s.batches = append(s.batches, b)
	return nil
}

func (s *sink) sent() [][]*structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]*structs.Allocation(nil), s.batches...)
}

func runUpdater(t *testing.T, s *sink) *updater {
	t.Helper()
	u := newUpdater(discardLogger(), 20*time.Millisecond, s.send)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); u.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return u
}

func TestUpdaterCoalesces(t *testing.T) {
	s := &sink{}
	u := runUpdater(t, s)
	for _, st := range []string{"pending", "running", "complete"} {
		u.add(&structs.Allocation{ID: "a", ClientStatus: st})
	}
	u.add(&structs.Allocation{ID: "b", ClientStatus: "running"})
	waitFor(t, "a batch", func() bool { return len(s.sent()) > 0 })
	b := s.sent()[0]
	got := map[string]string{}
	for _, a := range b {
		got[a.ID] = a.ClientStatus
	}
	if len(b) != 2 || got["a"] != "complete" || got["b"] != "running" {
		t.Fatalf("first batch %v, want a=complete and b=running in one request", got)
	}
}

func TestUpdaterRetriesKeepingNewest(t *testing.T) {
	s := &sink{fail: 1}
	u := runUpdater(t, s)
	u.add(&structs.Allocation{ID: "a", ClientStatus: "running"})
	u.add(&structs.Allocation{ID: "b", ClientStatus: "running"})
	waitFor(t, "first attempt", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.fail == 0
	})
	u.add(&structs.Allocation{ID: "a", ClientStatus: "failed"})
	waitFor(t, "retried batch", func() bool {
		seen := map[string]string{}
		for _, b := range s.sent() {
			for _, a := range b {
				seen[a.ID] = a.ClientStatus
			}
		}
		return seen["a"] == "failed" && seen["b"] == "running"
	})
	for _, b := range s.sent() {
		for _, a := range b {
			if a.ID == "a" && a.ClientStatus == "running" {
				t.Fatal("a stale state was sent after a newer one was queued")
			}
		}
	}
}
