package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

func TestBalancing(t *testing.T) {
	a, b := namedBackend(t, "A"), namedBackend(t, "B")
	tests := []struct {
		name    string
		weights []int
		n       int
		want    string
	}{
		{"equal weights alternate", []int{10, 10}, 6, "A B A B A B"},
		{"passing and warning 10:1", []int{10, 1}, 11, "A A A A A B A A A A A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProxy(t, Options{})
			s := svc("web", a.URL, b.URL)
			for i, w := range tt.weights {
				s.Servers[i].Weight = w
			}
			p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{s}))
			url := serve(t, p.Handler("web"), ServerOptions{})
			if got := sequence(t, url, "web.minipot", tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWeightsOverManyRequests(t *testing.T) {
	a, b := namedBackend(t, "A"), namedBackend(t, "B")
	s := svc("web", a.URL, b.URL)
	s.Servers[1].Weight = config.WeightWarning
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{s}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	got := sequence(t, url, "web.minipot", 110)
	if na, nb := strings.Count(got, "A"), strings.Count(got, "B"); na != 100 || nb != 10 {
		t.Errorf("A %d B %d, want 100 10", na, nb)
	}
}

func TestNotFoundAndUnavailable(t *testing.T) {
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("empty", hostRule("empty.minipot"), "empty")}, []*config.Service{svc("empty")}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	tests := []struct {
		host     string
		wantCode int
		wantBody string
	}{
		{"nope.minipot", http.StatusNotFound, "404 page not found\n"},
		{"empty.minipot", http.StatusServiceUnavailable, "503 no available server\n"},
	}
	for _, tt := range tests {
		code, body := get(t, url, tt.host)
		if code != tt.wantCode || body != tt.wantBody {
			t.Errorf("%s: got %d %q, want %d %q", tt.host, code, body, tt.wantCode, tt.wantBody)
		}
	}
}

func TestRetryOnRefusedConnection(t *testing.T) {
	live := namedBackend(t, "live")
	p := testProxy(t, Options{PassiveDownFor: time.Hour})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")},
		[]*config.Service{svc("web", closedURL(t), live.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})

	// The closed server is picked first; GET goes on to the live one.
	if got := sequence(t, url, "web.minipot", 3); got != "live live live" {
		t.Errorf("GET: got %q", got)
	}
	st := p.Stats().Services["web"]
	if st.Servers[0].Up || st.Servers[0].Failures != 1 || !st.Servers[1].Up {
		t.Errorf("server states after refusal: %+v", st.Servers)
	}
}

func TestNoRetryForPostWithBody(t *testing.T) {
	live := namedBackend(t, "live")
	p := testProxy(t, Options{PassiveDownFor: time.Hour})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")},
		[]*config.Service{svc("web", closedURL(t), live.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	code, _, _ := do(t, http.DefaultClient, http.MethodPost, url, "web.minipot", strings.NewReader("payload"))
	if code != http.StatusBadGateway {
		t.Errorf("POST to refusing server: got %d, want 502", code)
	}
	// The refusing server is now out: the next POST reaches the live one.
	code, body, _ := do(t, http.DefaultClient, http.MethodPost, url, "web.minipot", strings.NewReader("payload"))
	if code != http.StatusOK || body != "live" {
		t.Errorf("second POST: got %d %q", code, body)
	}
}

func TestPassiveDownRecovers(t *testing.T) {
	a := namedBackend(t, "A")
	b := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "B") }))
	bAddr := b.Listener.Addr().String()
	b.Listener.Close() // B refuses until restarted on the same address
	p := testProxy(t, Options{PassiveDownFor: 200 * time.Millisecond})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")},
		[]*config.Service{svc("web", a.URL, "http://"+bAddr)}))
	url := serve(t, p.Handler("web"), ServerOptions{})

	if got := sequence(t, url, "web.minipot", 4); got != "A A A A" {
		t.Fatalf("with B refusing: got %q", got)
	}
	if st := p.Stats().Services["web"].Servers[1]; st.Up {
		t.Fatalf("B should be passively down: %+v", st)
	}
	b.Listener = mustListen(t, bAddr)
	b.Start()
	t.Cleanup(b.Close)
	waitFor(t, "B back up", func() bool { return p.Stats().Services["web"].Servers[1].Up })
	got := sequence(t, url, "web.minipot", 4)
	if strings.Count(got, "B") != 2 {
		t.Errorf("after recovery: got %q, want B twice", got)
	}
}

func TestBrokenRoutersAreIsolated(t *testing.T) {
	a := namedBackend(t, "A")
	p := testProxy(t, Options{})
	c := cfg([]*config.Router{
		router("good", hostRule("good.minipot"), "good"),
		router("badrule", "Host(`bad.minipot`", "good"),
		router("nosvc", hostRule("nosvc.minipot"), "missing"),
		router("nomw", hostRule("nomw.minipot"), "good", "missing"),
	}, []*config.Service{svc("good", a.URL)})
	p.Update(c)
	url := serve(t, p.Handler("web"), ServerOptions{})
	if code, body := get(t, url, "good.minipot"); code != 200 || body != "A" {
		t.Errorf("good router: %d %q", code, body)
	}
	cur := p.Current()
	for _, name := range []string{"badrule", "nosvc", "nomw"} {
		r := cur.Routers[name]
		if r.Status != config.StatusDisabled || len(r.Err) == 0 {
			t.Errorf("%s: status %q err %v, want disabled with a reason", name, r.Status, r.Err)
		}
	}
	if err := cur.Routers["badrule"].Err; len(err) == 0 || !strings.Contains(err[0], "1:") {
		t.Errorf("badrule: error %q does not name the position", err)
	}
	if cur.Routers["good"].Status != config.StatusEnabled {
		t.Errorf("good: status %q", cur.Routers["good"].Status)
	}
	if c.Routers["badrule"].Status != "" {
		t.Errorf("Update modified its input")
	}
}

func TestRouterOrder(t *testing.T) {
	a, b, c := namedBackend(t, "A"), namedBackend(t, "B"), namedBackend(t, "C")
	p := testProxy(t, Options{})
	low := router("low", "PathPrefix(`/`)", "c")
	low.Priority = 1
	p.Update(cfg([]*config.Router{
		router("short", hostRule("x.minipot"), "a"),
		router("long", hostRule("x.minipot")+" && PathPrefix(`/api`)", "b"),
		low,
	}, []*config.Service{svc("a", a.URL), svc("b", b.URL), svc("c", c.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	tests := []struct{ host, path, want string }{
		{"x.minipot", "/api/v1", "B"},
		{"x.minipot", "/other", "A"},
		{"y.minipot", "/api", "C"},
	}
	for _, tt := range tests {
		if _, body := get(t, url+tt.path, tt.host); body != tt.want {
			t.Errorf("%s%s: got %q, want %q", tt.host, tt.path, body, tt.want)
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen *http.Request
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r
		mu.Unlock()
	})
	tests := []struct {
		name      string
		passHost  bool
		reqID     string
		xff       string
		wantXFF   string
		wantHost  string
		wantReqID bool
	}{
		{"pass host, new id", true, "", "", "127.0.0.1", "web.minipot", false},
		{"backend host, kept id, appended xff", false, "abc", "10.1.1.1", "10.1.1.1, 127.0.0.1", strings.TrimPrefix(back.URL, "http://"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := svc("web", back.URL)
			s.PassHostHeader = tt.passHost
			p := testProxy(t, Options{})
			p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{s}))
			url := serve(t, p.Handler("web"), ServerOptions{})
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Host = "web.minipot"
			if tt.reqID != "" {
				req.Header.Set("X-Request-Id", tt.reqID)
			}
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			h := seen.Header
			checks := map[string][2]string{
				"X-Forwarded-For":   {h.Get("X-Forwarded-For"), tt.wantXFF},
				"X-Real-Ip":         {h.Get("X-Real-Ip"), "127.0.0.1"},
				"X-Forwarded-Host":  {h.Get("X-Forwarded-Host"), "web.minipot"},
				"X-Forwarded-Proto": {h.Get("X-Forwarded-Proto"), "http"},
				"Host":              {seen.Host, tt.wantHost},
			}
			for k, v := range checks {
				if v[0] != v[1] {
					t.Errorf("%s: got %q, want %q", k, v[0], v[1])
				}
			}
			id := h.Get("X-Request-Id")
			if id == "" || tt.wantReqID && id != tt.reqID {
				t.Errorf("X-Request-Id %q, want %q", id, tt.reqID)
			}
		})
	}
}

func TestStickyCookiePins(t *testing.T) {
	a, b := namedBackend(t, "A"), namedBackend(t, "B")
	s := svc("web", a.URL, b.URL)
	s.Sticky = &config.Sticky{CookieName: "wharf_sticky", HTTPOnly: true}
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{s}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	for _, first := range []string{"A", "B"} {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		for i := range 5 {
			_, body, _ := do(t, client, http.MethodGet, url, "web.minipot", nil)
			if body != first {
				t.Fatalf("client pinned to %s got %q on request %d", first, body, i)
			}
		}
	}
}

func TestUpdateKeepsInFlightRequest(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "slow done")
	})
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("slow", hostRule("slow.minipot"), "slow")}, []*config.Service{svc("slow", slow.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	type result struct {
		code int
		body string
	}
	done := make(chan result)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = "slow.minipot"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{body: err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b)}
	}()
	<-entered
	p.Update(cfg(nil, nil)) // the route is gone for new requests
	if code, _ := get(t, url, "slow.minipot"); code != http.StatusNotFound {
		t.Errorf("new request after Update: %d, want 404", code)
	}
	close(release)
	if r := <-done; r.code != 200 || r.body != "slow done" {
		t.Errorf("in-flight request: %d %q", r.code, r.body)
	}
}

func TestMetricsAndAccessLog(t *testing.T) {
	a := namedBackend(t, "A")
	var log syncBuffer
	p := testProxy(t, Options{AccessLog: &log})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", a.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	req, _ := http.NewRequest(http.MethodGet, url+"/x?y=1", nil)
	req.Host = "web.minipot"
	req.Header.Set("X-Request-Id", "rid-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get(t, url, "unknown.minipot")

	rec := httptest.NewRecorder()
	p.Metrics().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`wharf_ingress_requests_total{code="200",router="web",service="web"} 1`,
		`wharf_ingress_requests_total{code="404",router="",service=""} 1`,
		`wharf_ingress_request_duration_seconds_count{router="web",service="web"} 1`,
		`wharf_ingress_server_up{service="web",url="` + a.URL + `"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The lines are written out by the log's writer, not by the requests.
	waitFor(t, "two access log lines", func() bool { return strings.Count(log.String(), "\n") == 2 })
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("access log lines: %q", lines)
	}
	if !strings.Contains(lines[0], `"GET /x?y=1 HTTP/1.1" 200 1 "rid-42" "web" "`+a.URL+`"`) ||
		!strings.HasPrefix(lines[0], "127.0.0.1 - - [") {
		t.Errorf("access log line: %s", lines[0])
	}
	st := p.Stats()
	if st.Requests != 2 || st.NotFound != 1 || st.Routers["web"].Requests != 1 || st.Routers["web"].Rate <= 0 {
		t.Errorf("stats: %+v", st)
	}
}

// syncBuffer is a bytes.Buffer safe for the proxy's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestsCountedByCode sends answers with more distinct status codes
// than a route caches counters for: each is counted under its own code.
func TestRequestsCountedByCode(t *testing.T) {
	codes := []int{200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409, 410, 418, 429, 500, 501, 503, 504}
	if len(codes) <= maxCachedCodes {
		t.Fatalf("%d codes do not overflow the cache of %d", len(codes), maxCachedCodes)
	}
	b := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
	})
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", b.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	for round := range 2 {
		for _, code := range codes {
			if got, _ := get(t, fmt.Sprintf("%s/%d", url, code), "web.minipot"); got != code {
				t.Fatalf("round %d: %d, want %d", round, got, code)
			}
		}
	}
	rec := httptest.NewRecorder()
	p.Metrics().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, code := range codes {
		want := fmt.Sprintf(`wharf_ingress_requests_total{code="%d",router="web",service="web"} 2`, code)
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
