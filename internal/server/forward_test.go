package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state/memstore"
)

// followerElector never leads; it names the leaders the test lists, the
// next one each time a forwarded request reports the current one dead.
type followerElector struct {
	mu        sync.Mutex
	leaders   []string
	err       error
	suspected []string
}

func (e *followerElector) Run(ctx context.Context, _ func(context.Context)) error {
	<-ctx.Done()
	return nil
}

func (e *followerElector) Leader(context.Context) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return "", e.err
	}
	if len(e.leaders) == 0 {
		return "", errors.New("no leader elected")
	}
	return e.leaders[0], nil
}

func (e *followerElector) Peers(context.Context) ([]string, error) { return e.leaders, nil }

func (e *followerElector) suspectLeader(addr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.suspected = append(e.suspected, addr)
	if len(e.leaders) > 0 && e.leaders[0] == addr {
		e.leaders = e.leaders[1:]
	}
}

// deadAddr returns an address nothing listens on.
func deadAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return addr
}

func TestForwardToLeader(t *testing.T) {
	var forwarded sync.Map
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		forwarded.Store(string(body), r.Header.Get("X-Wharf-Forwarded"))
		_, _ = io.WriteString(w, `{"from":"live"}`)
	}))
	defer live.Close()
	liveAddr := strings.TrimPrefix(live.URL, "http://")
	dead := deadAddr(t)
	for _, tc := range []struct {
		name      string
		el        *followerElector
		code      int
		body      string
		suspected []string
		within    time.Duration
	}{
		{"live leader", &followerElector{leaders: []string{liveAddr}}, 200, `"live"`, nil, time.Second},
		{"dead leader: the next one", &followerElector{leaders: []string{dead, liveAddr}}, 200, `"live"`, []string{dead}, time.Second},
		{"no quorum: refused at once", &followerElector{err: &QuorumError{Reachable: 1, Members: 3}}, 503,
			"no cluster leader to forward to: no etcd quorum: 1 of 3 members reachable", nil, 500 * time.Millisecond},
		{"only a dead leader: refused after the wait", &followerElector{leaders: []string{dead}}, 503,
			"no cluster leader to forward to", []string{dead}, forwardWait + time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := followerServer(t, tc.el)
			start := time.Now()
			code, body := ts.do("PUT", "/v1/node/register", `{"beat":"`+tc.name+`"}`, nil)
			took := time.Since(start)
			if code != tc.code || !strings.Contains(body, tc.body) || took > tc.within {
				t.Fatalf("heartbeat: %d %q after %s, want %d with %q within %s", code, body, took, tc.code, tc.body, tc.within)
			}
			if code == 200 {
				if h, ok := forwarded.Load(`{"beat":"` + tc.name + `"}`); !ok || h != "1" {
					t.Fatalf("the leader got the body %v with X-Wharf-Forwarded %v", ok, h)
				}
			}
			tc.el.mu.Lock()
			defer tc.el.mu.Unlock()
			if strings.Join(tc.el.suspected, ",") != strings.Join(tc.suspected, ",") {
				t.Fatalf("suspected %v, want %v", tc.el.suspected, tc.suspected)
			}
		})
	}
}

// followerServer serves a server led by el, which never makes it lead.
func followerServer(t *testing.T, el Elector) *testServer {
	t.Helper()
	st := memstore.New()
	srv, err := New(Config{Store: st, Elector: el, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done; _ = st.Close() })
	return &testServer{t: t, srv: srv, store: st, http: hs}
}
