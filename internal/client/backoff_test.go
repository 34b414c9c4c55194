package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeClock is a clock whose time moves only when a wait is asked for:
// After(d) moves it d ahead and fires at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_000_000, 0)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	if d > 0 {
		f.now = f.now.Add(d)
	}
	now := f.now
	f.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// countingServer answers heartbeats with 503 ("no leader") until the
// clock reaches up, then grants ttl; it records the clock at each
// attempt.
type countingServer struct {
	clock *fakeClock
	up    time.Time
	ttl   time.Duration

	mu       sync.Mutex
	failed   []time.Time
	answered int
	onAnswer func(n int)
}

func (cs *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := cs.clock.Now()
	cs.mu.Lock()
	if now.Before(cs.up) {
		cs.failed = append(cs.failed, now)
		cs.mu.Unlock()
		http.Error(w, "no cluster leader", http.StatusServiceUnavailable)
		return
	}
	cs.answered++
	n, cb := cs.answered, cs.onAnswer
	cs.mu.Unlock()
	_ = json.NewEncoder(w).Encode(&structs.NodeUpdateResponse{HeartbeatTTL: cs.ttl})
	if cb != nil {
		cb(n)
	}
}

func (cs *countingServer) attempts() []time.Time {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]time.Time(nil), cs.failed...)
}

// heartbeatClient is a client with just what the heartbeat loop needs,
// talking to urls on clk.
func heartbeatClient(t *testing.T, clk clock, retryMax time.Duration, urls ...string) *Client {
	t.Helper()
	srv, err := newServers(urls, nil, "", discardLogger(), time.Second, retryMax)
	if err != nil {
		t.Fatal(err)
	}
	srv.clock = clk
	return &Client{cfg: Config{RetryMax: retryMax}, log: discardLogger(), servers: srv,
		id: &state.NodeIdentity{ID: "node-1"}, reregister: make(chan struct{})}
}

// TestHeartbeatBacksOffWhileNoServerAnswers: three servers answer 503 for
// a 6 s leaderless window. Each server gets a handful of heartbeats, never
// two within 100 ms, the waits between rounds grow, and the first
// heartbeat after the window comes within half a TTL.
func TestHeartbeatBacksOffWhileNoServerAnswers(t *testing.T) {
	const ttl, window = 5 * time.Second, 6 * time.Second
	clk := newFakeClock()
	start := clk.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var servers []*countingServer
	var urls []string
	var firstAnswer time.Time
	for range 3 {
		cs := &countingServer{clock: clk, up: start.Add(window), ttl: ttl}
		cs.onAnswer = func(int) {
			if firstAnswer.IsZero() {
				firstAnswer = clk.Now()
			}
			cancel()
		}
		hs := httptest.NewServer(cs)
		t.Cleanup(hs.Close)
		servers, urls = append(servers, cs), append(urls, hs.URL)
	}
	c := heartbeatClient(t, clk, 30*time.Second, urls...)
	c.heartbeat(ctx, ttl)

	if firstAnswer.IsZero() {
		t.Fatal("no heartbeat answered after the window")
	}
	if late := firstAnswer.Sub(start.Add(window)); late > ttl/2 {
		t.Errorf("first heartbeat after the window came %s after it, want within half the TTL (%s)", late, ttl/2)
	}
	total := 0
	for i, cs := range servers {
		at := cs.attempts()
		total += len(at)
		if len(at) > 10 {
			t.Errorf("server %d got %d heartbeats in a %s window, want at most 10 (backoff)", i, len(at), window)
		}
		for j := 1; j < len(at); j++ {
			if gap := at[j].Sub(at[j-1]); gap < serverRetryInterval {
				t.Errorf("server %d tried again %s after it failed, want at least %s", i, gap, serverRetryInterval)
			}
		}
	}
	t.Logf("%d failed heartbeats over 3 servers in the window; first answer %s after it", total, firstAnswer.Sub(start.Add(window)))
	if total < 3*3 {
		t.Errorf("only %d heartbeats in the window: the client gave up instead of retrying", total)
	}
}

// TestServersTryNextAtOnceSameOneAfterInterval: after a server fails, the
// next is tried at the same instant; a second call reaches the failed
// server only once serverRetryInterval has passed.
func TestServersTryNextAtOnceSameOneAfterInterval(t *testing.T) {
	clk := newFakeClock()
	down := &countingServer{clock: clk, up: clk.Now().Add(time.Hour)}
	up := &countingServer{clock: clk, ttl: time.Second}
	hsDown, hsUp := httptest.NewServer(down), httptest.NewServer(up)
	t.Cleanup(hsDown.Close)
	t.Cleanup(hsUp.Close)
	s, err := newServers([]string{hsDown.URL, hsUp.URL}, nil, "", discardLogger(), time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s.clock = clk
	call := func(ac *api.Client) error { _, err := ac.Nodes().Heartbeat("n"); return err }
	t0 := clk.Now()
	if err := s.do(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if clk.Now() != t0 {
		t.Fatalf("failing over to the next server waited %s", clk.Now().Sub(t0))
	}
	// Start again from the failed server (as after the list wraps).
	s.mu.Lock()
	s.cur = 0
	s.mu.Unlock()
	if err := s.do(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	at := down.attempts()
	if len(at) != 2 || at[1].Sub(at[0]) < serverRetryInterval {
		t.Fatalf("failed server tried at %v, want twice, %s apart", at, serverRetryInterval)
	}
}

func TestHeartbeatPacer(t *testing.T) {
	p := &heartbeatPacer{ttl: 10 * time.Second, max: 30 * time.Second}
	if d := p.next(); d != 5*time.Second {
		t.Fatalf("healthy wait %s, want half the TTL", d)
	}
	var prevCeil time.Duration
	for n := 1; n <= 40; n++ {
		p.unanswered()
		ceil := min(heartbeatRetryMin<<min(n-1, 20), 5*time.Second)
		for range 20 {
			if d := p.next(); d < ceil/2 || d > ceil {
				t.Fatalf("after %d failed rounds wait %s, want within [%s, %s]", n, d, ceil/2, ceil)
			}
		}
		if ceil < prevCeil {
			t.Fatalf("backoff shrank after %d rounds", n)
		}
		prevCeil = ceil
	}
	p.answered(2 * time.Second)
	if d := p.next(); d != time.Second {
		t.Fatalf("wait after an answer %s, want half the new TTL", d)
	}
	capped := &heartbeatPacer{ttl: time.Minute, max: 2 * time.Second, failures: 30}
	if d := capped.next(); d > 2*time.Second {
		t.Fatalf("wait %s over RetryMax", d)
	}
}

// TestHeartbeatSkipsHangingServer: the first server accepts the
// connection and never answers (a frozen process); the heartbeat is
// answered by the next one within the heartbeat timeout, not the 30 s of
// an ordinary request.
func TestHeartbeatSkipsHangingServer(t *testing.T) {
	old := heartbeatTimeout
	heartbeatTimeout = 200 * time.Millisecond
	t.Cleanup(func() { heartbeatTimeout = old })
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	clk := newFakeClock()
	up := &countingServer{clock: clk, ttl: 4 * time.Second}
	hs := httptest.NewServer(up)
	t.Cleanup(hs.Close)
	c := heartbeatClient(t, realClock{}, 30*time.Second, hang.URL, hs.URL)
	start := time.Now()
	ttl, err := c.heartbeatOnce(context.Background(), time.Second)
	if err != nil || ttl != 4*time.Second {
		t.Fatalf("heartbeat = %s, %v; want the second server's TTL", ttl, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("heartbeat took %s with a hanging first server", d)
	}
}
