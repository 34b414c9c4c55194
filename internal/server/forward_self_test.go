package server

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// takingOverElector names this server as the leader at once but calls
// lead only after a delay, as an etcd election does while the new leader
// restores its state.
type takingOverElector struct {
	self  atomic.Pointer[string]
	delay time.Duration
}

func (e *takingOverElector) Run(ctx context.Context, lead func(context.Context)) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(e.delay):
	}
	lead(ctx)
	return nil
}

func (e *takingOverElector) Leader(context.Context) (string, error) { return *e.self.Load(), nil }

func (e *takingOverElector) Peers(context.Context) ([]string, error) {
	return []string{*e.self.Load()}, nil
}

func (e *takingOverElector) selfAddr() string { return *e.self.Load() }

// TestForwardWaitsForOwnLeadership: a server the election names but
// whose leadership has not taken effect yet answers a leader-only
// request itself once it leads, instead of forwarding it to itself and
// refusing it with "leadership is changing".
func TestForwardWaitsForOwnLeadership(t *testing.T) {
	el := &takingOverElector{delay: 500 * time.Millisecond}
	none := ""
	el.self.Store(&none)
	ts := followerServer(t, el)
	self := strings.TrimPrefix(ts.http.URL, "http://")
	el.self.Store(&self)
	code, body := ts.do("PUT", "/v1/node/register", `{"Node":{}}`, nil)
	if code == 503 || strings.Contains(body, "leadership is changing") {
		t.Fatalf("a request while this server takes over: %d %s", code, body)
	}
	if !ts.srv.isLeader() {
		t.Fatalf("answered %d %s before this server led", code, body)
	}
}
