package services

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

func probeCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()
	t.Cleanup(func() { _ = ln.Close() })
	for _, tc := range []struct {
		addr, want, output string
	}{
		{open, structs.HealthPassing, "Success"},
		{closedAddr, structs.HealthCritical, "refused"},
	} {
		res := tcpProbe(tc.addr)(probeCtx(t))
		if res.status != tc.want || !strings.Contains(res.output, tc.output) {
			t.Errorf("tcp %s = %+v, want %s with %q", tc.addr, res, tc.want, tc.output)
		}
	}
}

func TestHTTPProbe(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, "fine "+r.Method+" "+r.Header.Get("X-Check")+" "+string(body))
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	tlsSrv := httptest.NewUnstartedServer(handler)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	host := func(s *httptest.Server) string {
		return strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
	}
	w := testWorkload(0)
	for _, tc := range []struct {
		name   string
		check  *structs.ServiceCheck
		srv    *httptest.Server
		want   string
		output string
	}{
		{"2xx passes", &structs.ServiceCheck{Path: "/ok"}, plain, structs.HealthPassing, "200 OK Output: fine GET"},
		{"method header body", &structs.ServiceCheck{Path: "ok", Method: "post", Body: "hi",
			Header: map[string][]string{"X-Check": {"yes"}}}, plain, structs.HealthPassing, "fine POST yes hi"},
		{"429 warns", &structs.ServiceCheck{Path: "/busy"}, plain, structs.HealthWarning, "429 Too Many Requests"},
		{"500 critical", &structs.ServiceCheck{Path: "/x"}, plain, structs.HealthCritical, "500 Internal Server Error Output: broken"},
		{"https skip verify", &structs.ServiceCheck{Path: "/ok", Protocol: "https", TLSSkipVerify: true}, tlsSrv, structs.HealthPassing, "https://"},
		{"https verify fails", &structs.ServiceCheck{Path: "/ok", Protocol: "https"}, tlsSrv, structs.HealthCritical, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := httpProbe(httpCheckRequest(w, tc.check, host(tc.srv)))(probeCtx(t))
			if res.status != tc.want || !strings.Contains(res.output, tc.output) {
				t.Errorf("got %+v, want %s with %q", res, tc.want, tc.output)
			}
			if !strings.HasPrefix(res.output, "HTTP ") {
				t.Errorf("output %q does not start with HTTP", res.output)
			}
		})
	}
}

func TestScriptProbe(t *testing.T) {
	drv := &execDriver{Driver: fake.New()}
	w := testWorkload(0)
	w.Driver = drv
	for _, tc := range []struct {
		name    string
		check   *structs.ServiceCheck
		timeout time.Duration
		want    string
		output  string
	}{
		{"exit 0", &structs.ServiceCheck{Command: "ok"}, time.Second, structs.HealthPassing, "ran ok"},
		{"exit 1 warns", &structs.ServiceCheck{Command: "w", Args: []string{"1"}}, time.Second, structs.HealthWarning, "ran w"},
		{"exit 2 critical", &structs.ServiceCheck{Command: "c", Args: []string{"2"}}, time.Second, structs.HealthCritical, "ran c"},
		{"cannot run", &structs.ServiceCheck{Command: "missing"}, time.Second, structs.HealthCritical, "not found"},
		{"timeout", &structs.ServiceCheck{Command: "hang"}, 20 * time.Millisecond, structs.HealthCritical, "timed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			res := scriptProbe(w, tc.check)(ctx)
			if res.status != tc.want || !strings.Contains(res.output, tc.output) {
				t.Errorf("got %+v, want %s with %q", res, tc.want, tc.output)
			}
		})
	}
	w.Driver = fake.New()
	res := scriptProbe(w, &structs.ServiceCheck{Command: "ok"})(probeCtx(t))
	if res.status != structs.HealthCritical || !strings.Contains(res.output, "cannot run script checks") {
		t.Errorf("driver without exec: %+v", res)
	}
}

func TestCounter(t *testing.T) {
	P, W, C := structs.HealthPassing, structs.HealthWarning, structs.HealthCritical
	for _, tc := range []struct {
		name             string
		initial          string
		success, failure int
		results, want    []string
	}{
		{"immediate", C, 0, 0, []string{P, C, W, P}, []string{P, C, W, P}},
		{"success before passing", C, 3, 0, []string{P, P, C, P, P, P}, []string{C, C, C, C, C, P}},
		{"failures before critical", P, 0, 2, []string{C, P, C, C, W}, []string{P, P, P, C, W}},
		{"warning counts as failure", P, 0, 2, []string{W, W}, []string{P, W}},
		{"initial passing", P, 2, 0, []string{P}, []string{P}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCounter(&checkSpec{initial: tc.initial, successesNeeded: tc.success, failuresNeeded: tc.failure})
			for i, r := range tc.results {
				if got := c.observe(r); got != tc.want[i] {
					t.Fatalf("result %d (%s): status %s, want %s", i, r, got, tc.want[i])
				}
			}
		})
	}
}

func TestRestartWatch(t *testing.T) {
	P, W, C := structs.HealthPassing, structs.HealthWarning, structs.HealthCritical
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	for _, tc := range []struct {
		name     string
		cfg      structs.CheckRestart
		advance  time.Duration
		statuses []string
		restarts int
	}{
		{"in grace", structs.CheckRestart{Limit: 2, Grace: time.Minute}, 0, []string{C, C, C}, 0},
		{"limit reached", structs.CheckRestart{Limit: 2, Grace: time.Second}, 2 * time.Second, []string{C, C}, 1},
		{"passing resets", structs.CheckRestart{Limit: 2}, time.Second, []string{C, P, C, P}, 0},
		{"warnings count", structs.CheckRestart{Limit: 2}, time.Second, []string{W, W}, 1},
		{"warnings ignored", structs.CheckRestart{Limit: 2, IgnoreWarnings: true}, time.Second, []string{W, W, W}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := &fakeTarget{}
			now = time.Unix(1000, 0)
			rw := newRestartWatch(&tc.cfg, "web-alive", target, clock, quietLogger())
			now = now.Add(tc.advance)
			for _, s := range tc.statuses {
				rw.observe(s)
			}
			events, restarts := target.snapshot()
			if restarts != tc.restarts {
				t.Fatalf("restarts = %d, want %d", restarts, tc.restarts)
			}
			if restarts > 0 && (events[0].Type != EventRestartSignaled || events[0].DisplayMessage != `healthcheck: check "web-alive" unhealthy`) {
				t.Errorf("event %+v", events[0])
			}
		})
	}
	if newRestartWatch(&structs.CheckRestart{}, "x", &fakeTarget{}, clock, quietLogger()) != nil {
		t.Error("limit 0 must not watch")
	}
}

// TestCheckRetriesSoonUntilFirstPass: a check with a long interval whose
// target comes up shortly after the task starts is passing within a
// fraction of a second, not a whole interval later.
func TestCheckRetriesSoonUntilFirstPass(t *testing.T) {
	var up atomic.Bool
	var runs atomic.Int32
	spec := &checkSpec{id: "c", name: "c", typ: structs.CheckTypeTCP, interval: time.Hour, timeout: time.Second,
		initial: structs.HealthCritical, probe: func(context.Context) result {
			runs.Add(1)
			if up.Load() {
				return result{status: structs.HealthPassing}
			}
			return result{status: structs.HealthCritical}
		}}
	got := make(chan string, 100)
	r := &checkRunner{spec: spec, regID: "r", counter: newCounter(spec),
		report: func(_, _, status, _ string) { got <- status }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.run(ctx)
	time.AfterFunc(300*time.Millisecond, func() { up.Store(true) })
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-got:
			if s == structs.HealthPassing {
				if n := runs.Load(); n < 2 || n > 8 {
					t.Errorf("%d runs before passing, want a few retries", n)
				}
				return
			}
		case <-deadline:
			t.Fatal("the check did not pass within 5s of its target coming up (interval 1h)")
		}
	}
}
