package agent

import (
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
)

// diskReserve is the free space the data dir keeps (limits.disk_reserve);
// a throw-away dev data dir keeps none.
func (a *Agent) diskReserve() int64 {
	if a.tempDir != "" {
		return 0
	}
	cl, err := a.cfg.ConnLimits()
	if err != nil {
		return DefaultDiskReserve
	}
	return cl.DiskReserve
}

// watchEtcd logs, with its cause, an error that stops the embedded etcd
// member while the agent runs (reads and writes then fail with it).
func (a *Agent) watchEtcd() {
	srv := a.etcd
	go func() {
		err, ok := <-srv.Err()
		if ok && err != nil {
			a.log.Error("the embedded etcd member stopped: state reads and writes fail until the agent restarts",
				"cause", embedetcd.Cause(err.Error()), "err", err)
		}
	}()
}

// guardWrites answers the requests that would write state with 503 and
// the cause while the embedded member refuses writes (a full disk, an
// unwritable data dir, etcd's NOSPACE alarm); reads, nodes' heartbeats
// (which write nothing while a node stays ready) and garbage collection
// (which deletes, and frees the space) go on.
func (a *Agent) guardWrites(h http.Handler) http.Handler {
	if a.etcd == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if writes(r) {
			if err := a.etcd.WriteBlocked(); err != nil {
				w.Header().Set("Retry-After", "30")
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// writes reports whether r may write state.
func writes(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/v1/node/") && strings.HasSuffix(r.URL.Path, "/heartbeat") {
		return false
	}
	// A collection deletes and then frees etcd's space: it is the way out.
	if r.URL.Path == "/v1/system/gc" {
		return false
	}
	return true
}
