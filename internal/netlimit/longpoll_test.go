package netlimit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLongPollsCapPerClientAndInAll: blocking queries beyond the
// per-client cap, or beyond the total cap from many clients, get 429 with
// the reason and Retry-After; other requests of a capped client pass, and
// a slot is free again once its query answers.
func TestLongPollsCapPerClientAndInAll(t *testing.T) {
	l := NewLongPolls(2, 3)
	hold := make(chan struct{})
	var wg sync.WaitGroup
	h := LimitLongPolls(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLongPoll(r) {
			<-hold
		}
	}), l)
	do := func(ip, query string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/v1/jobs"+query, nil)
		r.RemoteAddr = ip + ":5000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	wait := func(ip string) {
		wg.Add(1)
		go func() { defer wg.Done(); do(ip, "?index=7&wait=5m") }()
	}
	waitFor := func(n int) {
		for {
			l.mu.Lock()
			all := l.all
			l.mu.Unlock()
			if all == n {
				return
			}
		}
	}
	wait("10.0.0.1")
	wait("10.0.0.1")
	waitFor(2)
	w := do("10.0.0.1", "?index=7")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "from 10.0.0.1") {
		t.Fatalf("third long poll of one client: %d %q %v", w.Code, w.Body, w.Header())
	}
	if w := do("10.0.0.1", "?index=0"); w.Code != http.StatusOK {
		t.Fatalf("a plain request of the capped client: %d", w.Code)
	}
	if w := do("10.0.0.1", ""); w.Code != http.StatusOK {
		t.Fatalf("a request without index: %d", w.Code)
	}
	wait("10.0.0.2")
	waitFor(3)
	if w := do("10.0.0.3", "?index=1"); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "waiting on this agent") {
		t.Fatalf("a long poll over the total: %d %q", w.Code, w.Body)
	}
	close(hold)
	wg.Wait()
	if l.all != 0 || len(l.n) != 0 {
		t.Fatalf("slots left taken: %d %v", l.all, l.n)
	}
	if w := do("10.0.0.3", "?index=1"); w.Code != http.StatusOK {
		t.Fatalf("after the others answered: %d", w.Code)
	}
}
