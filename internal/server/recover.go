package server

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// call runs h, turning a panic into a 500 that names it: one request must
// never take the server down, and net/http's own recovery would drop the
// connection without an answer.
func (s *Server) call(h handlerFunc, w http.ResponseWriter, r *http.Request) (out any, index uint64, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("request handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out, index, err = nil, 0, fmt.Errorf("internal error: the request handler failed: %v", p)
		}
	}()
	return h(w, r)
}

// safely runs f and returns a panic in it as an error, logged with its
// stack and attrs: background work (scheduling an evaluation, expiring a
// node) must never take the process down.
func (s *Server) safely(what string, f func(), attrs ...any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %s panicked: %v", what, p)
			s.log.Error(what+" panicked", append(attrs, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))...)
		}
	}()
	f()
	return nil
}
