package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
)

// Bounds of an event stream request's filters.
const (
	maxEventTopics   = 64
	maxEventTopicLen = 256
)

// eventRoutes registers Nomad's event stream.
func (s *Server) eventRoutes() {
	s.handle("GET /v1/event/stream", eventStreamPerm(), http.HandlerFunc(s.eventStream))
}

// eventFilter is what one stream asked for.
type eventFilter struct {
	topics    map[string][]string // topic -> keys ("*": every key)
	namespace string              // "*": every namespace
}

// parseEventFilter reads ?topic=Topic[:Key] (repeated; none means every
// topic) and ?namespace.
func parseEventFilter(r *http.Request) (*eventFilter, error) {
	raw := r.URL.Query()["topic"]
	f := &eventFilter{topics: map[string][]string{}, namespace: namespace(r)}
	if len(raw) == 0 {
		raw = []string{topicAll}
	}
	if len(raw) > maxEventTopics {
		return nil, errorf(http.StatusBadRequest, "query parameter \"topic\": %d topics, at most %d", len(raw), maxEventTopics)
	}
	for _, t := range raw {
		if len(t) > maxEventTopicLen {
			return nil, errorf(http.StatusBadRequest, "query parameter \"topic\": longer than %d bytes", maxEventTopicLen)
		}
		topic, key, ok := strings.Cut(t, ":")
		if !ok || key == "" {
			key = "*"
		}
		if !knownTopics[topic] {
			return nil, errorf(http.StatusBadRequest, "query parameter \"topic\": unknown topic %q (Job, Allocation, Evaluation, Node, Service or *)", topic)
		}
		f.topics[topic] = append(f.topics[topic], key)
	}
	return f, nil
}

// allowed reports the first topic acl may not stream, "" when it may
// stream them all: Job, Allocation, Evaluation and Service need read-job
// in the namespace, Node needs node read, every other topic (and "*") a
// management token, as Nomad.
func (f *eventFilter) denied(a *acl.ACL) string {
	for topic := range f.topics {
		switch topic {
		case topicJob, topicAllocation, topicEvaluation, topicService, "Deployment":
			if !a.AllowNamespaceOperation(f.namespace, acl.CapReadJob) {
				return fmt.Sprintf("namespace %q capability %q for topic %q", f.namespace, acl.CapReadJob, topic)
			}
		case topicNode:
			if !a.AllowNodeRead() {
				return fmt.Sprintf("node policy \"read\" for topic %q", topic)
			}
		default:
			if !a.IsManagement() {
				return fmt.Sprintf("a management token for topic %q", topic)
			}
		}
	}
	return ""
}

// eventStreamPerm checks each requested topic.
func eventStreamPerm() perm {
	what := func(_ state.Snapshot, r *http.Request) string {
		f, err := parseEventFilter(r)
		if err != nil {
			return "a valid topic filter"
		}
		if d := f.denied(acl.New(nil)); d != "" {
			return d
		}
		return "read access to the topics"
	}
	return perm{
		allow: func(_ *Server, _ state.Snapshot, r *http.Request, ai *authInfo) bool {
			f, err := parseEventFilter(r)
			// A malformed filter is refused by the handler (400) before
			// anything is streamed.
			return err != nil || f.denied(ai.acl) == ""
		},
		what: what,
	}
}

// match reports whether ev passes the filter and acl may read it.
func (f *eventFilter) match(ev *Event, a *acl.ACL) bool {
	if ev.Namespace != "" && f.namespace != "*" && ev.Namespace != f.namespace {
		return false
	}
	if !f.matchTopic(ev) {
		return false
	}
	if ev.Topic == topicNode {
		return a.AllowNodeRead()
	}
	return a.AllowNamespaceOperation(ev.Namespace, acl.CapReadJob)
}

func (f *eventFilter) matchTopic(ev *Event) bool {
	for _, topic := range []string{ev.Topic, topicAll} {
		for _, k := range f.topics[topic] {
			if k == "*" || k == ev.Key || slices.Contains(ev.FilterKeys, k) {
				return true
			}
		}
	}
	return false
}

// eventStream serves GET /v1/event/stream: newline-delimited JSON, one
// {"Index":..,"Events":[..]} line per commit that has matching events,
// {} every heartbeat interval, from ?index on (inclusive, what the buffer
// still holds) or from now.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) {
	f, err := parseEventFilter(r)
	if err == nil {
		err = validIndexParam(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	index, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	sub, err := s.obs.events.subscribe(clientIP(r), index)
	if err != nil {
		s.writeError(w, r, errorf(http.StatusTooManyRequests, "%s", err))
		return
	}
	defer s.obs.events.unsubscribe(sub)
	st := &eventStreamer{s: s, w: w, r: r, rc: http.NewResponseController(w), f: f, acl: authOf(r).acl}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if st.flush() != nil {
		return
	}
	st.run(sub)
}

// validIndexParam checks ?index.
func validIndexParam(r *http.Request) error {
	if v := r.URL.Query().Get("index"); v != "" {
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return errorf(http.StatusBadRequest, "query parameter \"index\": %q is not a number", v)
		}
	}
	return nil
}

// clientIP is the address a request came from, without its port.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// eventStreamer writes one stream.
type eventStreamer struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	rc  *http.ResponseController
	f   *eventFilter
	acl *acl.ACL
	buf []Event
}

func (st *eventStreamer) run(sub *subscription) {
	lim := st.s.obs.events.lim
	beat := time.NewTicker(lim.Heartbeat)
	defer beat.Stop()
	recheck := time.NewTicker(lim.Recheck)
	defer recheck.Stop()
	for {
		var err error
		select {
		case <-st.r.Context().Done():
			return
		case batch := <-sub.ch:
			err = st.send(batch)
		case <-sub.dropped:
			st.closeWith(fmt.Sprintf("event stream closed: this client fell more than %d commits behind; reconnect with ?index= one past the last Index it received", lim.Queue))
			return
		case <-beat.C:
			err = st.write([]byte("{}\n"))
		case <-recheck.C:
			err = st.recheck()
		}
		if err != nil {
			return
		}
	}
}

// send writes the events of a commit that pass the filter, if any.
func (st *eventStreamer) send(batch *changeBatch) error {
	events := eventsFromChanges(batch.Index, batch.Changes)
	st.buf = st.buf[:0]
	for i := range events {
		if st.f.match(&events[i], st.acl) {
			st.buf = append(st.buf, events[i])
		}
	}
	if len(st.buf) == 0 {
		return nil
	}
	line, err := json.Marshal(eventBatch{Index: batch.Index, Events: st.buf})
	if err != nil {
		return err
	}
	return st.write(append(line, '\n'))
}

// recheck authorizes the stream again with the current state: a revoked
// token or a policy that no longer grants the topics ends it.
func (st *eventStreamer) recheck() error {
	ai, err := st.s.authenticate(st.r, st.s.store.Snapshot())
	if err == nil {
		if d := st.f.denied(ai.acl); d != "" {
			err = denied("missing %s", d)
		}
	}
	if err != nil {
		st.closeWith("event stream closed: " + err.Error())
		return err
	}
	st.acl = ai.acl
	return nil
}

// closeWith writes a last line naming why the stream ends.
func (st *eventStreamer) closeWith(reason string) {
	line, _ := json.Marshal(map[string]string{"Error": reason})
	_ = st.write(append(line, '\n'))
}

// write writes and flushes p within the write timeout, so a client that
// stops reading is dropped instead of holding the stream.
func (st *eventStreamer) write(p []byte) error {
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.s.obs.events.lim.WriteTimeout))
	if _, err := st.w.Write(p); err != nil {
		return err
	}
	return st.flush()
}

func (st *eventStreamer) flush() error { return st.rc.Flush() }
