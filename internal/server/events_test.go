package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// isStreamPath lists the routes whose answer is a stream that does not
// end by itself; the route-table tests only read their status.
func isStreamPath(path string) bool {
	return path == "/v1/event/stream" || path == "/v1/agent/monitor"
}

// sendStream sends req and returns its status and, for a refusal, the
// body; a stream that opened is closed at once.
func (ts *testServer) sendStream(req *http.Request) (int, string) {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(raw)
}

// eventReader reads an event stream line by line.
type eventReader struct {
	t      *testing.T
	cancel context.CancelFunc
	lines  chan string
}

// openStream opens path (with its query) and returns its lines.
func (ts *testServer) openStream(t *testing.T, path, secret string) *eventReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+path, nil)
	if secret != "" {
		req.Header.Set(TokenHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		cancel()
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	er := &eventReader{t: t, cancel: cancel, lines: make(chan string, 1024)}
	go func() {
		defer close(er.lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			er.lines <- sc.Text()
		}
	}()
	t.Cleanup(cancel)
	return er
}

// next returns the next batch of events that satisfies ok, failing after
// 10 s.
func (er *eventReader) next(what string, ok func(*eventBatch) bool) *eventBatch {
	er.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, open := <-er.lines:
			if !open {
				er.t.Fatalf("stream ended waiting for %s", what)
			}
			var b eventBatch
			if err := json.Unmarshal([]byte(line), &b); err != nil {
				er.t.Fatalf("line %q: %v", line, err)
			}
			if ok(&b) {
				return &b
			}
		case <-deadline:
			er.t.Fatalf("no %s within 10 s", what)
		}
	}
}

func hasEvent(b *eventBatch, topic, typ string) bool {
	for _, e := range b.Events {
		if e.Topic == topic && (typ == "" || e.Type == typ) {
			return true
		}
	}
	return false
}

func TestEventStreamFollowsAJob(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	all := ts.openStream(t, "/v1/event/stream", "")
	jobs := ts.openStream(t, "/v1/event/stream?topic=Job:web", "")
	other := ts.openStream(t, "/v1/event/stream?topic=Job:other&topic=Node", "")

	reg := ts.register(testJob("web", 1, "raw_exec"))
	b := all.next("a JobRegistered event", func(b *eventBatch) bool { return hasEvent(b, topicJob, "JobRegistered") })
	for _, e := range b.Events {
		if e.Topic == topicJob && (e.Key != "web" || e.Namespace != "default" || e.Index != b.Index || e.Payload["Job"] == nil) {
			t.Fatalf("job event %+v", e)
		}
	}
	evalSeen := hasEvent(b, topicEvaluation, "EvaluationUpdated")
	all.next("the evaluation and the placement", func(b *eventBatch) bool {
		evalSeen = evalSeen || hasEvent(b, topicEvaluation, "EvaluationUpdated")
		return evalSeen && hasEvent(b, topicAllocation, "PlanResult")
	})
	if e := ts.waitEval(reg.EvalID); e.Status != structs.EvalStatusComplete {
		t.Fatalf("eval %s", e.Status)
	}
	got := jobs.next("the job's event", func(b *eventBatch) bool { return true })
	for _, e := range got.Events {
		if e.Topic != topicJob || e.Key != "web" {
			t.Fatalf("topic=Job:web delivered %s %s", e.Topic, e.Key)
		}
	}
	ts.registerNode(fakeNode("b", "dc1", "raw_exec"))
	got = other.next("the node's registration", func(b *eventBatch) bool { return true })
	if len(got.Events) != 1 || got.Events[0].Topic != topicNode || got.Events[0].Type != "NodeRegistration" {
		t.Fatalf("topic=Job:other&topic=Node delivered %+v first", got.Events)
	}
	if p, _ := json.Marshal(got.Events[0].Payload); strings.Contains(string(p), "Secret") {
		t.Fatalf("node event carries a secret: %s", p)
	}
}

func TestEventStreamStartsAtIndex(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.register(testJob("one", 1, "raw_exec"))
	two := ts.register(testJob("two", 1, "raw_exec"))
	// As Nomad's, ?index is where the stream starts: that index included.
	er := ts.openStream(t, "/v1/event/stream?topic=Job&index="+itoa(two.JobModifyIndex), "")
	er.next("job two's registration from the buffer", func(b *eventBatch) bool {
		if b.Index < two.JobModifyIndex {
			t.Fatalf("replayed index %d, asked to start at %d", b.Index, two.JobModifyIndex)
		}
		return b.Index == two.JobModifyIndex && len(b.Events) > 0 && b.Events[0].Key == "two"
	})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestEventStreamBadRequests(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		name, query string
	}{
		{"unknown topic", "?topic=Secrets"},
		{"index not a number", "?topic=Job&index=-1"},
		{"too many topics", "?" + strings.Repeat("topic=Job&", maxEventTopics+1)},
		{"topic too long", "?topic=Job:" + strings.Repeat("x", maxEventTopicLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.http.URL+"/v1/event/stream"+tt.query, nil)
			if code, body := ts.sendStream(req); code != http.StatusBadRequest || !strings.Contains(body, "query parameter") {
				t.Fatalf("%d %q, want 400 naming the parameter", code, body)
			}
		})
	}
}

func TestEventStreamACL(t *testing.T) {
	ts, root := aclServer(t)
	jobReader := ts.clientToken("jobs", `namespace "default" { capabilities = ["read-job"] }`)
	nodeReader := ts.clientToken("nodes", `node { policy = "read" }`)
	tests := []struct {
		name, query, secret string
		want                int
	}{
		{"no token", "?topic=Job", "", http.StatusForbidden},
		{"every topic needs management", "", jobReader, http.StatusForbidden},
		{"job topic with read-job", "?topic=Job", jobReader, http.StatusOK},
		{"job topic in another namespace", "?topic=Job&namespace=prod", jobReader, http.StatusForbidden},
		{"node topic without node read", "?topic=Node", jobReader, http.StatusForbidden},
		{"node topic with node read", "?topic=Node", nodeReader, http.StatusOK},
		{"every topic with management", "", root, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.http.URL+"/v1/event/stream"+tt.query, nil)
			if tt.secret != "" {
				req.Header.Set(TokenHeader, tt.secret)
			}
			if code, body := ts.sendStream(req); code != tt.want {
				t.Fatalf("%d %q, want %d", code, body, tt.want)
			}
		})
	}
}

func TestEventStreamNamespaceFilter(t *testing.T) {
	ts := newTestServer(t, nil)
	er := ts.openStream(t, "/v1/event/stream?topic=Evaluation", "")
	ctx := context.Background()
	other := &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: "prod", JobID: "x", Status: structs.EvalStatusBlocked, Priority: 50, Type: "service"}
	mine := &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: "default", JobID: "y", Status: structs.EvalStatusBlocked, Priority: 50, Type: "service"}
	if _, err := ts.store.UpsertEvals(ctx, []*structs.Evaluation{other}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.store.UpsertEvals(ctx, []*structs.Evaluation{mine}); err != nil {
		t.Fatal(err)
	}
	b := er.next("an evaluation event", func(*eventBatch) bool { return true })
	if len(b.Events) != 1 || b.Events[0].Key != mine.ID {
		t.Fatalf("default-namespace stream got %+v first", b.Events)
	}
}

// TestEventBrokerDropsASlowStream publishes more commits than a stream
// may fall behind: the stream is dropped, its queue never exceeds its
// bound, and the broker forgets it.
func TestEventBrokerDropsASlowStream(t *testing.T) {
	b := newEventBroker(slog.New(slog.NewTextHandler(io.Discard, nil)), EventLimits{Buffer: 4, Queue: 8})
	sub, err := b.subscribe("192.0.2.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	ev := &structs.Evaluation{ID: "e", Namespace: "default", JobID: "j"}
	for i := 1; i <= 1000; i++ {
		b.publish(uint64(i), []state.Change{{Table: state.TableEvals, Object: ev}})
		if len(sub.ch) > cap(sub.ch) {
			t.Fatalf("queue %d past its bound %d", len(sub.ch), cap(sub.ch))
		}
	}
	select {
	case <-sub.dropped:
	default:
		t.Fatal("a stream 1000 commits behind was not dropped")
	}
	if b.streams() != 0 || b.dropped.Load() != 1 || len(b.ring) != 4 {
		t.Fatalf("streams %d dropped %d ring %d", b.streams(), b.dropped.Load(), len(b.ring))
	}
	b.unsubscribe(sub) // the handler's deferred call: harmless after a drop
}

func TestEventBrokerLimitsStreams(t *testing.T) {
	b := newEventBroker(slog.New(slog.NewTextHandler(io.Discard, nil)), EventLimits{MaxStreams: 3, MaxStreamsPerIP: 2})
	var subs []*subscription
	for _, ip := range []string{"192.0.2.1", "192.0.2.1"} {
		s, err := b.subscribe(ip, 0)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	if _, err := b.subscribe("192.0.2.1", 0); err != errTooManyStreamsPerIP {
		t.Fatalf("third stream from one address: %v", err)
	}
	if _, err := b.subscribe("192.0.2.2", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.subscribe("192.0.2.3", 0); err != errTooManyStreams {
		t.Fatalf("fourth stream: %v", err)
	}
	b.unsubscribe(subs[0])
	if _, err := b.subscribe("192.0.2.1", 0); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

func TestEventStreamHeartbeats(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Events.Heartbeat = 20 * time.Millisecond })
	er := ts.openStream(t, "/v1/event/stream?topic=Job", "")
	select {
	case line := <-er.lines:
		if line != "{}" {
			t.Fatalf("first line of an idle stream %q, want {}", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat")
	}
}

// TestEventStreamEndsWhenItsTokenIsRevoked deletes the token of an open
// stream: the stream ends with a last line saying why.
func TestEventStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ACLEnabled, c.Events.Recheck = true, 20*time.Millisecond })
	if code, raw := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil); code != http.StatusOK {
		t.Fatalf("bootstrap: %d %s", code, raw)
	}
	secret := ts.clientToken("watcher", `namespace "default" { capabilities = ["read-job"] }`)
	er := ts.openStream(t, "/v1/event/stream?topic=Job", secret)
	tok := ts.store.Snapshot().ACLTokenBySecretHash(structs.HashSecret(secret))
	if tok == nil {
		t.Fatal("token not stored")
	}
	if _, err := ts.store.DeleteACLTokens(context.Background(), []string{tok.AccessorID}); err != nil {
		t.Fatal(err)
	}
	var last string
	for line := range er.lines {
		last = line
	}
	if !strings.Contains(last, `"Error"`) || !strings.Contains(last, "event stream closed") {
		t.Fatalf("last line %q", last)
	}
}

func TestEventStreamServices(t *testing.T) {
	ts := newTestServer(t, nil)
	er := ts.openStream(t, "/v1/event/stream?topic=Service:api", "")
	ts.registerServices(testReg("d1", "db", "n1"), testReg("a1", "api", "n1", structs.HealthPassing))
	b := er.next("the api registration", func(*eventBatch) bool { return true })
	if len(b.Events) != 1 || b.Events[0].Type != "ServiceRegistration" || b.Events[0].Key != "api" || b.Events[0].Payload["Service"] == nil {
		t.Fatalf("events %+v", b.Events)
	}
	if _, err := ts.store.DeleteServiceRegistrations(context.Background(), []string{"a1"}); err != nil {
		t.Fatal(err)
	}
	b = er.next("the api deregistration", func(*eventBatch) bool { return true })
	if len(b.Events) != 1 || b.Events[0].Type != "ServiceDeregistration" {
		t.Fatalf("events %+v", b.Events)
	}
}

// TestEventBrokerKeepsNothingACollectionFreed publishes what a garbage
// collection and an ACL write commit: nothing is kept, so the buffer pins
// no collected object; a mixed commit keeps only what makes events.
func TestEventBrokerKeepsNothingACollectionFreed(t *testing.T) {
	b := newEventBroker(slog.New(slog.NewTextHandler(io.Discard, nil)), EventLimits{})
	b.publish(1, []state.Change{
		{Table: state.TableAllocs, Object: &structs.Allocation{ID: "a"}, Deleted: true},
		{Table: state.TableEvals, Object: &structs.Evaluation{ID: "e"}, Deleted: true},
		{Table: state.TableJobVersions, Object: &structs.Job{ID: "j"}},
		{Table: state.TableACLTokens, Object: &structs.ACLToken{AccessorID: "t"}},
	})
	if len(b.ring) != 0 {
		t.Fatalf("ring holds %d commits of uneventful changes", len(b.ring))
	}
	b.publish(2, []state.Change{
		{Table: state.TableAllocs, Object: &structs.Allocation{ID: "a"}, Deleted: true},
		{Table: state.TableJobs, Object: &structs.Job{ID: "j"}, Deleted: true},
	})
	if len(b.ring) != 1 || len(b.ring[0].Changes) != 1 || b.ring[0].Changes[0].Table != state.TableJobs {
		t.Fatalf("ring %+v", b.ring)
	}
}
