package netlimit

import (
	"errors"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestLimiterCountsAndNilHasNoCap(t *testing.T) {
	l := NewLimiter("t", 2)
	if !l.TryAcquire() || !l.TryAcquire() {
		t.Fatal("two slots of two not taken")
	}
	if l.TryAcquire() {
		t.Fatal("a third slot was taken beyond the cap")
	}
	if l.InUse() != 2 || l.Refusals() != 1 {
		t.Fatalf("in use %d, refusals %d; want 2, 1", l.InUse(), l.Refusals())
	}
	l.Release()
	if !l.TryAcquire() {
		t.Fatal("a released slot was not taken again")
	}
	stop := make(chan struct{})
	close(stop)
	if l.Acquire(stop) {
		t.Fatal("Acquire at the cap returned true after stop")
	}
	var none *Limiter
	if !none.TryAcquire() || !none.Acquire(nil) || none.Cap() != 0 {
		t.Fatal("a nil limiter must let everything in")
	}
	none.Release()
}

// TestListenerStopsAtCapAndResumes dials one connection more than the
// cap: it is accepted only once an accepted one is closed.
func TestListenerStopsAtCapAndResumes(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(raw, NewLimiter("test", 2), nil)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := receive(t, accepted)
	receive(t, accepted)
	select {
	case <-accepted:
		t.Fatal("a connection beyond the cap was accepted")
	case <-time.After(200 * time.Millisecond):
	}
	if got := ln.Limiter().InUse(); got != 2 {
		t.Fatalf("in use %d, want 2", got)
	}
	first.Close()
	first.Close() // a second close gives nothing back
	third := receive(t, accepted)
	if got := ln.Limiter().InUse(); got != 2 {
		t.Fatalf("in use %d after one closed and one accepted, want 2", got)
	}
	third.Close()
}

// TestListenerCloseEndsWaitingAccept closes a listener whose Accept waits
// for a slot.
func TestListenerCloseEndsWaitingAccept(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := NewLimiter("test", 1)
	lim.TryAcquire()
	ln := NewListener(raw, lim, nil)
	done := make(chan error)
	go func() { _, err := ln.Accept(); done <- err }()
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}

func receive(t *testing.T, ch chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

func TestBudget(t *testing.T) {
	for _, tc := range []struct {
		limit       int
		wantReserve int
		wantIngress int
		wantAPI     int
	}{
		{limit: 1024, wantReserve: 256, wantIngress: 192, wantAPI: 153},
		{limit: 20000, wantReserve: 5000, wantIngress: 3750, wantAPI: 3000},
		{limit: 100, wantReserve: 256, wantIngress: MinCap, wantAPI: MinCap},
	} {
		b := NewBudget(tc.limit)
		if b.Reserve != tc.wantReserve || b.Caps["ingress"] != tc.wantIngress || b.Caps["api"] != tc.wantAPI {
			t.Errorf("NewBudget(%d): reserve %d, ingress %d, api %d; want %d, %d, %d", tc.limit,
				b.Reserve, b.Caps["ingress"], b.Caps["api"], tc.wantReserve, tc.wantIngress, tc.wantAPI)
		}
		sum := b.Reserve
		for role, n := range b.Caps {
			if role == "ingress" {
				n *= 2 // its servers' connections
			}
			sum += n
		}
		if tc.limit >= 1024 && sum > tc.limit {
			t.Errorf("NewBudget(%d) hands out %d descriptors", tc.limit, sum)
		}
	}
}

func TestRaiseLimit(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		t.Skip("descriptor limits are set on Linux and FreeBSD only")
	}
	soft, hard, err := RaiseLimit()
	if err != nil {
		t.Fatal(err)
	}
	if soft != hard || soft <= 0 {
		t.Fatalf("after RaiseLimit soft %d, hard %d", soft, hard)
	}
	if OpenDescriptors() < 3 {
		t.Fatalf("OpenDescriptors() = %d", OpenDescriptors())
	}
}

func TestIsOutOfDescriptors(t *testing.T) {
	err := &net.OpError{Op: "accept", Err: syscall.EMFILE}
	if !IsOutOfDescriptors(err) || IsOutOfDescriptors(syscall.ECONNRESET) {
		t.Fatal("EMFILE not told from other errors")
	}
}
