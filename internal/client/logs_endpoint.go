package client

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wharf-project/wharf/internal/tasklog"
)

// Handler serves the node's own API in Nomad's shape: GET
// /v1/client/fs/logs/:alloc (task, type, follow, origin, offset, plain)
// and the allocation actions (restart, signal).
func (c *Client) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/client/fs/logs/{alloc}", c.serveLogs)
	c.actionRoutes(mux)
	c.execRoutes(mux)
	c.statsRoutes(mux)
	return c.guard(mux)
}

// serveLogs streams a task's stdout or stderr. A follow waits for a task
// that has not started yet and ends once the task is dead and its output
// has been sent.
func (c *Client) serveLogs(w http.ResponseWriter, r *http.Request) {
	allocID := r.PathValue("alloc")
	q := r.URL.Query()
	task, typ := q.Get("task"), q.Get("type")
	if task == "" {
		http.Error(w, "query parameter \"task\": missing task name", http.StatusBadRequest)
		return
	}
	follow, _ := strconv.ParseBool(q.Get("follow"))
	plain, _ := strconv.ParseBool(q.Get("plain"))
	offset, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if q.Get("offset") != "" && (err != nil || offset < 0) {
		http.Error(w, "query parameter \"offset\": not a non-negative number", http.StatusBadRequest)
		return
	}
	allocDir := filepath.Join(c.allocRoot, allocID)
	if _, err := os.Stat(allocDir); errors.Is(err, os.ErrNotExist) && c.AllocRunner(allocID) == nil && !follow {
		http.Error(w, "allocation "+allocID+" has no logs on this node", http.StatusNotFound)
		return
	}
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	opts := tasklog.Options{
		Dir: filepath.Join(allocDir, tasklog.Dir), Task: task, Type: typ,
		Origin: q.Get("origin"), Offset: offset, Follow: follow, Plain: plain,
		Dead: func() bool { return c.taskDead(allocID, task) },
	}
	if err := tasklog.Stream(r.Context(), w, flush, opts); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// taskDead reports whether a task will write no more output: its runner
// says it is dead, or the allocation was destroyed on this node.
func (c *Client) taskDead(allocID, task string) bool {
	ar := c.AllocRunner(allocID)
	if ar == nil {
		_, err := os.Stat(filepath.Join(c.allocRoot, allocID))
		return err == nil // destroyed after running here; absent means not started yet
	}
	for _, tr := range ar.Tasks() {
		if tr.TaskName() == task {
			return tr.IsDead()
		}
	}
	return ar.IsDead()
}
