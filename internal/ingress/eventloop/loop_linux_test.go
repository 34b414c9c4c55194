//go:build linux

package eventloop

import (
	"testing"
	"time"
)

func TestTimerHeapOrderAndStaleEntries(t *testing.T) {
	var h timerHeap
	a, b, c := &loopConn{}, &loopConn{}, &loopConn{}
	for _, x := range []*loopConn{a, b, c} {
		x.waiter = &task{}
	}
	a.dlAt, b.dlAt, c.dlAt = 30, 10, 20
	h.arm(a)
	h.arm(b)
	h.arm(c)
	c.dlAt = 5 // c waits again with an earlier deadline: one more entry
	h.arm(c)
	if got := h.wait(time.Unix(0, 1)); got != 1 {
		t.Errorf("wait before the first deadline = %d ms, want 1", got)
	}
	if x, ok := h.expired(7); !ok || x != c {
		t.Fatalf("expired(7) = %p %v, want c", x, ok)
	}
	c.waiter = nil // resumed: no longer waits
	if x, ok := h.expired(15); !ok || x != b {
		t.Fatalf("expired(15) = %p %v, want b", x, ok)
	}
	if _, ok := h.expired(25); ok {
		t.Fatal("expired(25) fired c's superseded entry")
	}
	a.dlAt = 50 // a waited again, later: its entry is re-armed, not fired
	if _, ok := h.expired(35); ok {
		t.Fatal("expired(35) fired a before its new deadline")
	}
	if x, ok := h.expired(55); !ok || x != a {
		t.Fatalf("expired(55) = %p %v, want a", x, ok)
	}
	if got := h.wait(time.Unix(0, 60)); got != -1 || len(h) != 0 {
		t.Errorf("empty heap: wait %d, %d entries", got, len(h))
	}
}

// TestTimerHeapStaysSmall waits often with ever later deadlines, as a
// keep-alive connection does: the heap keeps one entry.
func TestTimerHeapStaysSmall(t *testing.T) {
	var h timerHeap
	c := &loopConn{waiter: &task{}}
	for i := range 10000 {
		c.dlAt = int64(1000 + i)
		h.arm(c)
	}
	if len(h) != 1 {
		t.Errorf("%d heap entries after 10,000 waits, want 1", len(h))
	}
}
