package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// recorded is one request the fake server saw.
type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Body   string
}

// fakeServer answers every request with status, body and an index header,
// and records what it got.
type fakeServer struct {
	srv    *httptest.Server
	got    []recorded
	status int
	body   string
	index  string
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{status: http.StatusOK, body: "{}", index: "42"}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.got = append(f.got, recorded{r.Method, r.URL.Path, r.URL.Query(), string(b)})
		if f.index != "" {
			w.Header().Set("X-Nomad-Index", f.index)
		}
		w.Header().Set("X-Nomad-KnownLeader", "true")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) client(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(&Config{Address: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeServer) last(t *testing.T) recorded {
	t.Helper()
	if len(f.got) == 0 {
		t.Fatal("no request reached the server")
	}
	return f.got[len(f.got)-1]
}

func TestEndpoints(t *testing.T) {
	job := &structs.Job{ID: "web", Name: "web"}
	tests := []struct {
		name      string
		call      func(c *Client) error
		method    string
		path      string
		query     url.Values
		bodyCheck func(t *testing.T, body string)
	}{
		{"jobs register", func(c *Client) error { _, err := c.Jobs().Register(job, nil); return err },
			"PUT", "/v1/jobs", url.Values{}, wantJSONField("Job")},
		{"jobs enforce register", func(c *Client) error { _, err := c.Jobs().EnforceRegister(job, 7, nil); return err },
			"PUT", "/v1/jobs", url.Values{}, wantJSONField("EnforceIndex")},
		{"jobs register namespace", func(c *Client) error {
			_, err := c.Jobs().Register(job, &WriteOptions{Namespace: "prod"})
			return err
		}, "PUT", "/v1/jobs", url.Values{"namespace": {"prod"}}, nil},
		{"jobs list", func(c *Client) error { _, _, err := c.Jobs().List(nil); return err },
			"GET", "/v1/jobs", url.Values{}, nil},
		{"jobs list prefix", func(c *Client) error { _, _, err := c.Jobs().List(&QueryOptions{Prefix: "we"}); return err },
			"GET", "/v1/jobs", url.Values{"prefix": {"we"}}, nil},
		{"jobs info", func(c *Client) error { _, _, err := c.Jobs().Info("web", nil); return err },
			"GET", "/v1/job/web", url.Values{}, nil},
		{"jobs info escapes", func(c *Client) error { _, _, err := c.Jobs().Info("a/b c", nil); return err },
			"GET", "/v1/job/a/b c", url.Values{}, nil},
		{"jobs deregister", func(c *Client) error { _, err := c.Jobs().Deregister("web", false); return err },
			"DELETE", "/v1/job/web", url.Values{}, nil},
		{"jobs deregister purge", func(c *Client) error { _, err := c.Jobs().Deregister("web", true); return err },
			"DELETE", "/v1/job/web", url.Values{"purge": {"true"}}, nil},
		{"jobs allocations", func(c *Client) error { _, _, err := c.Jobs().Allocations("web", true, nil); return err },
			"GET", "/v1/job/web/allocations", url.Values{"all": {"true"}}, nil},
		{"jobs evaluations", func(c *Client) error { _, _, err := c.Jobs().Evaluations("web", nil); return err },
			"GET", "/v1/job/web/evaluations", url.Values{}, nil},
		{"jobs versions diffs", func(c *Client) error { _, _, err := c.Jobs().Versions("web", true, nil); return err },
			"GET", "/v1/job/web/versions", url.Values{"diffs": {"true"}}, nil},
		{"jobs summary", func(c *Client) error { _, _, err := c.Jobs().Summary("web", nil); return err },
			"GET", "/v1/job/web/summary", url.Values{}, nil},
		{"jobs plan", func(c *Client) error { _, err := c.Jobs().Plan(job, true); return err },
			"POST", "/v1/job/web/plan", url.Values{}, wantJSONField("Diff")},
		{"jobs scale", func(c *Client) error { _, err := c.Jobs().Scale("web", "g", 3, "more"); return err },
			"POST", "/v1/job/web/scale", url.Values{}, wantScale(3, "web", "g")},
		{"jobs scale status", func(c *Client) error { _, _, err := c.Jobs().ScaleStatus("web", nil); return err },
			"GET", "/v1/job/web/scale", url.Values{}, nil},
		{"jobs parse", func(c *Client) error { _, err := c.Jobs().Parse("job \"x\" {}", true); return err },
			"POST", "/v1/jobs/parse", url.Values{}, wantJSONField("JobHCL")},
		{"allocs list", func(c *Client) error { _, _, err := c.Allocations().List(&QueryOptions{Prefix: "ab"}); return err },
			"GET", "/v1/allocations", url.Values{"prefix": {"ab"}}, nil},
		{"allocs info", func(c *Client) error { _, _, err := c.Allocations().Info("abc", nil); return err },
			"GET", "/v1/allocation/abc", url.Values{}, nil},
		{"allocs update", func(c *Client) error {
			return c.Allocations().UpdateAllocs([]*structs.Allocation{{ID: "a1"}})
		}, "PUT", "/v1/allocations/update", url.Values{}, wantJSONField("Alloc")},
		{"evals list", func(c *Client) error { _, _, err := c.Evaluations().List(nil); return err },
			"GET", "/v1/evaluations", url.Values{}, nil},
		{"evals info", func(c *Client) error { _, _, err := c.Evaluations().Info("e1", nil); return err },
			"GET", "/v1/evaluation/e1", url.Values{}, nil},
		{"evals allocations", func(c *Client) error { _, _, err := c.Evaluations().Allocations("e1", nil); return err },
			"GET", "/v1/evaluation/e1/allocations", url.Values{}, nil},
		{"nodes list", func(c *Client) error { _, _, err := c.Nodes().List(nil); return err },
			"GET", "/v1/nodes", url.Values{}, nil},
		{"nodes info", func(c *Client) error { _, _, err := c.Nodes().Info("n1", nil); return err },
			"GET", "/v1/node/n1", url.Values{}, nil},
		{"nodes allocations blocking", func(c *Client) error {
			_, _, err := c.Nodes().Allocations("n1", &QueryOptions{WaitIndex: 9, WaitTime: 5 * time.Minute})
			return err
		}, "GET", "/v1/node/n1/allocations", url.Values{"index": {"9"}, "wait": {"300000ms"}}, nil},
		{"nodes register", func(c *Client) error { _, err := c.Nodes().Register(&structs.Node{ID: "n1"}); return err },
			"PUT", "/v1/node/register", url.Values{}, wantJSONField("ID")},
		{"nodes heartbeat", func(c *Client) error { _, err := c.Nodes().Heartbeat("n1"); return err },
			"PUT", "/v1/node/n1/heartbeat", url.Values{}, wantJSONField("NodeID")},
		{"params", func(c *Client) error {
			_, _, err := c.Jobs().List(&QueryOptions{Params: map[string]string{"meta": "true"}, Region: "eu"})
			return err
		}, "GET", "/v1/jobs", url.Values{"meta": {"true"}, "region": {"eu"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			if tt.method == "GET" && !strings.HasSuffix(tt.path, "versions") && listPath(tt.path) {
				f.body = "[]"
			}
			if err := tt.call(f.client(t)); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := f.last(t)
			if got.Method != tt.method || got.Path != tt.path {
				t.Errorf("request = %s %s, want %s %s", got.Method, got.Path, tt.method, tt.path)
			}
			if got.Query.Encode() != tt.query.Encode() {
				t.Errorf("query = %q, want %q", got.Query.Encode(), tt.query.Encode())
			}
			if tt.bodyCheck != nil {
				tt.bodyCheck(t, got.Body)
			}
		})
	}
}

func wantJSONField(field string) func(t *testing.T, body string) {
	return func(t *testing.T, body string) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if _, ok := m[field]; !ok {
			t.Errorf("body %s has no field %s", body, field)
		}
	}
}

func wantScale(count int64, job, group string) func(t *testing.T, body string) {
	return func(t *testing.T, body string) {
		t.Helper()
		var req structs.ScalingRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		if req.Count == nil || *req.Count != count || req.Target["Job"] != job || req.Target["Group"] != group {
			t.Errorf("scale body = %s", body)
		}
	}
}

func TestQueryMetaIndex(t *testing.T) {
	f := newFakeServer(t)
	f.body = `[{"ID":"web","Type":"service"}]`
	f.index = "1234"
	jobs, meta, err := f.client(t).Jobs().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta.LastIndex != 1234 || !meta.KnownLeader {
		t.Errorf("meta = %+v", meta)
	}
	if len(jobs) != 1 || jobs[0].ID != "web" || jobs[0].Type != "service" {
		t.Errorf("jobs = %+v", jobs)
	}
}

func TestBadIndexHeader(t *testing.T) {
	f := newFakeServer(t)
	f.index = "nope"
	if _, _, err := f.client(t).Jobs().Info("web", nil); err == nil {
		t.Fatal("want an error for a bad X-Nomad-Index")
	}
}

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantMsg  string
		notFound bool
	}{
		{"plain 404", 404, "job \"x\" not found\n", `job "x" not found`, true},
		{"json error", 400, `{"Error":"field Job: missing job"}`, "field Job: missing job", false},
		{"empty 500", 500, "", "", false},
		{"conflict", 409, "modified since", "modified since", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.status, f.body = tt.status, tt.body
			_, _, err := f.client(t).Jobs().Info("x", nil)
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Message != tt.wantMsg {
				t.Errorf("got %d %q, want %d %q", apiErr.StatusCode, apiErr.Message, tt.status, tt.wantMsg)
			}
			if IsNotFound(err) != tt.notFound {
				t.Errorf("IsNotFound = %v, want %v", IsNotFound(err), tt.notFound)
			}
			if !strings.Contains(err.Error(), http.StatusText(tt.status)) && tt.wantMsg == "" {
				t.Errorf("error %q should fall back to the status text", err)
			}
		})
	}
}

func TestLeader(t *testing.T) {
	f := newFakeServer(t)
	f.body = `"10.0.0.1:4647"`
	got, err := f.client(t).Status().Leader()
	if err != nil || got != "10.0.0.1:4647" {
		t.Fatalf("Leader() = %q, %v", got, err)
	}
	if p := f.last(t).Path; p != "/v1/status/leader" {
		t.Errorf("path = %s", p)
	}
}

func TestDecodeTypes(t *testing.T) {
	f := newFakeServer(t)
	f.body = `{"ID":"a1","TaskStates":{"web":{"State":"running","Events":[{"Type":"Started"}]}},
		"AllocatedResources":{"Shared":{"Ports":[{"Label":"http","Value":22854,"To":80,"HostIP":"10.0.0.5"}]}}}`
	a, _, err := f.client(t).Allocations().Info("a1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.TaskStates["web"].Events[0].Type != "Started" || a.AllocatedResources.Shared.Ports[0].Value != 22854 {
		t.Errorf("alloc = %+v", a)
	}
}

func TestContextCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = c.Evaluations().Info("e", &QueryOptions{WaitIndex: 5, Context: ctx})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	_, err = c.WithContext(ctx).Nodes().Heartbeat("n")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WithContext: err = %v, want context.Canceled", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		addr    string
		want    string
		wantErr bool
	}{
		{"default", nil, "", DefaultAddress, false},
		{"wharf env", map[string]string{"WHARF_ADDR": "http://10.1.1.1:4646"}, "", "http://10.1.1.1:4646", false},
		{"nomad env fallback", map[string]string{"NOMAD_ADDR": "http://10.2.2.2:4646"}, "", "http://10.2.2.2:4646", false},
		{"wharf wins", map[string]string{"WHARF_ADDR": "http://a:1", "NOMAD_ADDR": "http://b:2"}, "", "http://a:1", false},
		{"bare host port", nil, "10.0.0.1:4646", "http://10.0.0.1:4646", false},
		{"trailing slash", nil, "http://h:1/", "http://h:1", false},
		{"bad scheme", nil, "ftp://h:1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"WHARF_ADDR", "NOMAD_ADDR"} {
				t.Setenv(k, tt.env[k])
			}
			cfg := DefaultConfig()
			if tt.addr != "" {
				cfg.Address = tt.addr
			}
			c, err := NewClient(cfg)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Address() != tt.want {
				t.Errorf("Address() = %q, want %q", c.Address(), tt.want)
			}
		})
	}
}

func TestConfigNamespaceRegion(t *testing.T) {
	f := newFakeServer(t)
	c, err := NewClient(&Config{Address: f.srv.URL, Namespace: "ops", Region: "eu"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().Info("x", &QueryOptions{Namespace: "dev"}); err != nil {
		t.Fatal(err)
	}
	q := f.last(t).Query
	if q.Get("namespace") != "dev" || q.Get("region") != "eu" {
		t.Errorf("query = %v", q)
	}
}

// listPath reports whether a GET of path answers a JSON array.
func listPath(path string) bool {
	return strings.HasSuffix(path, "s") && !strings.HasSuffix(path, "/summary")
}
