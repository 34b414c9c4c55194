package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/wharf-project/wharf/internal/client/allocrunner"
	"github.com/wharf-project/wharf/internal/client/taskrunner"
)

// RestartRequest is the body of PUT /v1/client/allocation/:alloc/restart:
// one task by name, or all running tasks with AllTasks (also when
// TaskName is empty).
type RestartRequest struct {
	TaskName string
	AllTasks bool
}

// SignalRequest is the body of PUT /v1/client/allocation/:alloc/signal:
// Signal (e.g. "SIGHUP"; SIGKILL when empty, as Nomad) goes to Task, or
// to every running task when Task is empty.
type SignalRequest struct {
	Task   string
	Signal string
}

// actionRoutes registers the allocation actions.
func (c *Client) actionRoutes(mux *http.ServeMux) {
	for _, m := range []string{"PUT", "POST"} {
		mux.HandleFunc(m+" /v1/client/allocation/{alloc}/restart", c.serveRestart)
		mux.HandleFunc(m+" /v1/client/allocation/{alloc}/signal", c.serveSignal)
	}
}

// serveRestart restarts one task or every running task of an allocation.
func (c *Client) serveRestart(w http.ResponseWriter, r *http.Request) {
	var req RestartRequest
	ar, ok := c.actionTarget(w, r, &req)
	if !ok {
		return
	}
	tasks, err := pickTasks(ar, req.TaskName)
	if err == nil {
		err = eachRunning(tasks, req.TaskName != "", func(tr *taskrunner.TaskRunner) error { return tr.Restart() })
	}
	writeActionResult(w, err)
}

// serveSignal sends a signal to one task or every running task.
func (c *Client) serveSignal(w http.ResponseWriter, r *http.Request) {
	var req SignalRequest
	ar, ok := c.actionTarget(w, r, &req)
	if !ok {
		return
	}
	if req.Signal == "" {
		req.Signal = "SIGKILL"
	}
	tasks, err := pickTasks(ar, req.Task)
	if err == nil {
		err = eachRunning(tasks, req.Task != "", func(tr *taskrunner.TaskRunner) error {
			return tr.Signal(r.Context(), req.Signal)
		})
	}
	writeActionResult(w, err)
}

// actionTarget decodes the body into req and finds the allocation's
// runner, writing the error response when it cannot.
func (c *Client) actionTarget(w http.ResponseWriter, r *http.Request, req any) (*allocrunner.AllocRunner, bool) {
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(req); err != nil {
			http.Error(w, "decode request body: "+err.Error(), http.StatusBadRequest)
			return nil, false
		}
	}
	id := r.PathValue("alloc")
	ar := c.AllocRunner(id)
	if ar == nil || ar.IsDestroyed() {
		http.Error(w, "unknown allocation "+id+" on this node", http.StatusNotFound)
		return nil, false
	}
	return ar, true
}

// errNoTask is returned for a task name the allocation does not have.
var errNoTask = errors.New("no such task in the allocation")

// pickTasks returns the task named name, or all tasks when name is empty.
func pickTasks(ar *allocrunner.AllocRunner, name string) ([]*taskrunner.TaskRunner, error) {
	if name == "" {
		return ar.Tasks(), nil
	}
	for _, tr := range ar.Tasks() {
		if tr.TaskName() == name {
			return []*taskrunner.TaskRunner{tr}, nil
		}
	}
	return nil, fmt.Errorf("task %q: %w", name, errNoTask)
}

// eachRunning applies fn to every task. With strict a task that does not
// run is an error; without it, tasks that do not run are skipped, and it
// is an error only when none runs.
func eachRunning(tasks []*taskrunner.TaskRunner, strict bool, fn func(*taskrunner.TaskRunner) error) error {
	acted := 0
	for _, tr := range tasks {
		err := fn(tr)
		switch {
		case err == nil:
			acted++
		case errors.Is(err, taskrunner.ErrTaskNotRunning) && !strict:
		default:
			return err
		}
	}
	if acted == 0 {
		return fmt.Errorf("allocation has no running task: %w", taskrunner.ErrTaskNotRunning)
	}
	return nil
}

// writeActionResult writes {} on success, else the error with a status
// that says whose fault it is.
func writeActionResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}\n"))
	case errors.Is(err, errNoTask):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, taskrunner.ErrTaskNotRunning):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
