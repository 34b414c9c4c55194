package consulapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/httpapi"
)

// Defaults of blocking queries, as Consul's.
const (
	DefaultWait = 5 * time.Minute
	MaxWait     = 10 * time.Minute
)

// Config configures the API.
type Config struct {
	// Store is where the catalog is read and agent registrations written.
	Store catalog.Store
	// Datacenter is the local datacenter, given to agent registrations and
	// shown by /v1/agent/self and /v1/catalog/datacenters.
	Datacenter string
	// LocalNodeID returns the local client's node ID ("" without the
	// client role); agent registrations belong to it.
	LocalNodeID func() string
	// NodeName names the node of agent registrations when there is no
	// local client node.
	NodeName string
	// Leader returns the cluster leader's address for /v1/status/leader.
	Leader func(ctx context.Context) (string, error)
	// Peers returns the servers' addresses for /v1/status/peers.
	Peers func(ctx context.Context) ([]string, error)
	// Version is shown by /v1/agent/self.
	Version string
	Logger  *slog.Logger
	// JSONMaxDepth bounds the nesting of request bodies; 0 means
	// jsonlimit.DefaultMaxDepth.
	JSONMaxDepth int
	// ACLEnabled makes every request but the status ones need a token
	// (X-Consul-Token, ?token= or Authorization: Bearer) with the
	// permission its route requires (acl.go).
	ACLEnabled bool
}

// Server is the Consul-shaped API.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// mu serializes the agent API's read-modify-write of registrations.
	mu  sync.Mutex
	ttl *ttlTimers
	// maxServices bounds this node's agent registrations.
	maxServices int

	routeTable []route
	acls       acl.Resolver
}

// New returns the API over cfg.Store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("consulapi: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LocalNodeID == nil {
		cfg.LocalNodeID = func() string { return "" }
	}
	if cfg.NodeName == "" {
		cfg.NodeName = "wharf"
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), maxServices: MaxAgentServices}
	s.ttl = newTTLTimers(s.expireCheck)
	s.routes()
	return s, nil
}

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the TTL timers of agent checks.
func (s *Server) Close() { s.ttl.stopAll() }

func (s *Server) routes() {
	reads := []struct {
		path string
		perm perm
		fn   func(*http.Request, *catalog.View) (any, error)
	}{
		{"/v1/catalog/services", someServiceRead(), s.catalogServices},
		{"/v1/catalog/service/{name}", serviceRead("name"), s.catalogService},
		{"/v1/catalog/nodes", nodeReadPerm(), s.catalogNodes},
		{"/v1/catalog/node/{node}", nodeReadPerm(), s.catalogNode},
		{"/v1/health/service/{name}", serviceRead("name"), s.healthService},
		{"/v1/health/checks/{name}", serviceRead("name"), s.healthChecks},
		{"/v1/health/state/{state}", nodeReadPerm(), s.healthState},
		{"/v1/health/node/{node}", nodeReadPerm(), s.healthNode},
		{"/v1/agent/services", someServiceRead(), s.agentServices},
		{"/v1/agent/service/{id}", someServiceRead(), s.agentService},
		{"/v1/agent/checks", someServiceRead(), s.agentChecks},
	}
	for _, rd := range reads {
		s.handle("GET "+rd.path, rd.perm, s.blocking(rd.fn))
	}
	open := perm{open: true}
	s.handle("GET /v1/catalog/datacenters", open, s.simple(s.datacenters))
	s.handle("GET /v1/status/leader", open, s.simple(s.statusLeader))
	s.handle("GET /v1/status/peers", open, s.simple(s.statusPeers))
	s.handle("GET /v1/agent/self", agentReadPerm(), s.simple(s.agentSelf))
	s.handle("PUT /v1/agent/service/register", someServiceWrite(), s.simple(s.register))
	s.handle("PUT /v1/agent/service/deregister/{id}", someServiceWrite(), s.simple(s.deregister))
	for _, verb := range []string{"pass", "warn", "fail", "update"} {
		s.handle("PUT /v1/agent/check/"+verb+"/{id}", someServiceWrite(), s.simple(s.checkUpdate(verb)))
	}
}

// httpError is an error with the HTTP status it answers with; Consul
// answers errors in plain text.
type httpError = httpapi.Error

func errorf(code int, format string, args ...any) error {
	return httpapi.Errorf(code, format, args...)
}

// simple wraps an endpoint without blocking.
func (s *Server) simple(fn func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := fn(r)
		s.respond(w, r, out, 0, err)
	}
}

// blocking wraps a read endpoint with Consul's blocking query: with
// ?index=N the answer waits until the catalog's index exceeds N and the
// answer differs from the one the client holds, or ?wait (default 5m, at
// most 10m, plus up to 1/16 jitter) passes.
func (s *Server) blocking(fn func(*http.Request, *catalog.View) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		min, wait, err := blockingParams(r)
		if err != nil {
			s.respond(w, r, nil, 0, err)
			return
		}
		view := catalog.NewView(s.cfg.Store.Snapshot())
		out, err := fn(r, view)
		if err == nil && min != 0 && view.Index() <= min {
			view, out, err = s.waitAnswer(r, fn, view, out, wait)
			if err == nil {
				// The token may have been revoked during the wait.
				if ai := authOf(r); ai.recheck != nil {
					err = ai.recheck()
				}
			}
		}
		s.respond(w, r, out, view.Index(), err)
	})
}

// waitAnswer waits until fn's answer differs from out, the answer at
// view, which the client holds (it asked with an index not below view's),
// or wait passes or the request ends; it returns the latest view and
// answer. A change to the catalog that leaves the answer as it was (a
// health check of another service, say) does not wake the client, as
// Consul's per-query watches do not: a hundred watchers of a hundred
// services do not all ask again on every change.
func (s *Server) waitAnswer(r *http.Request, fn func(*http.Request, *catalog.View) (any, error),
	view *catalog.View, out any, wait time.Duration) (*catalog.View, any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	held, err := json.Marshal(out)
	for {
		if _, werr := s.cfg.Store.WaitForChange(ctx, view.Index(), catalog.Tables...); werr != nil {
			// Timed out or gone: the latest view, which may have moved
			// without changing the answer.
			view = catalog.NewView(s.cfg.Store.Snapshot())
			out, err := fn(r, view)
			return view, out, err
		}
		view = catalog.NewView(s.cfg.Store.Snapshot())
		next, ferr := fn(r, view)
		if ferr != nil || err != nil {
			return view, next, ferr // an answer that cannot be compared wakes on any change
		}
		b, merr := json.Marshal(next)
		if merr != nil || !bytes.Equal(b, held) {
			return view, next, nil
		}
	}
}

func blockingParams(r *http.Request) (uint64, time.Duration, error) {
	q := r.URL.Query()
	var min uint64
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "Invalid index: %q is not an unsigned integer", v)
		}
		min = n
	}
	wait := DefaultWait
	if v := q.Get("wait"); v != "" {
		d, err := httpapi.ParseWait(v, false)
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "Invalid wait time: %q (use e.g. 30s or 5m)", v)
		}
		wait = d
	}
	if wait > MaxWait {
		wait = MaxWait
	}
	if wait > 0 {
		wait += backoff.UpTo(wait / 16)
	}
	return min, wait, nil
}

// respond writes out as JSON with Consul's query headers, or err as plain
// text.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, out any, index uint64, err error) {
	h := w.Header()
	if index > 0 {
		h.Set("X-Consul-Index", strconv.FormatUint(index, 10))
	}
	h.Set("X-Consul-KnownLeader", "true")
	h.Set("X-Consul-LastContact", "0")
	if err != nil {
		code, ok := httpapi.StatusOf(err)
		if !ok {
			code = http.StatusInternalServerError
			s.cfg.Logger.Error("consul API", "path", r.URL.Path, "err", err)
		}
		httpapi.WriteText(w, code, err.Error()+"\n")
		return
	}
	httpapi.WriteJSON(w, r, out)
}

// boolParam reads a flag parameter as Consul does: absent is false,
// present without a value is true.
func boolParam(r *http.Request, name string) (bool, error) {
	b, raw, ok := httpapi.QueryBool(r, name)
	if !ok {
		return false, errorf(http.StatusBadRequest, "Invalid value for ?%s: %q is not a boolean", name, raw)
	}
	return b, nil
}

// noFilter refuses ?filter, which wharf does not evaluate, rather than
// answering unfiltered.
func noFilter(r *http.Request) error {
	if r.URL.Query().Get("filter") != "" {
		return errorf(http.StatusBadRequest, "?filter expressions are not supported by wharf")
	}
	return nil
}
