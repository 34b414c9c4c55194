package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/jsonlimit"
	"github.com/wharf-project/wharf/internal/state"
)

// maxBodyBytes bounds request bodies; a job larger than this is refused
// with 413.
const maxBodyBytes = 8 << 20

// httpError is an error with the HTTP status that fits it.
type httpError = httpapi.Error

func errorf(code int, format string, args ...any) error {
	return httpapi.Errorf(code, format, args...)
}

// handlerFunc is an API handler: it returns the value to encode as JSON
// and the index to put in X-Nomad-Index, or an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, uint64, error)

// wrap turns a handlerFunc into an http.HandlerFunc that writes JSON, the
// index headers and errors with their status.
func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = withLimits(r, &s.cfg.Limits)
		r, release, err := s.guardQuorum(r)
		if err != nil {
			s.setMeta(w, 0)
			s.writeError(w, r, err)
			return
		}
		defer release()
		out, index, err := s.call(h, w, r)
		s.setMeta(w, index)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if out == nil {
			return
		}
		httpapi.WriteJSON(w, r, out)
	}
}

func (s *Server) setMeta(w http.ResponseWriter, index uint64) {
	if index == 0 {
		index = 1
	}
	h := w.Header()
	h.Set("X-Nomad-Index", strconv.FormatUint(index, 10))
	h.Set("X-Nomad-KnownLeader", strconv.FormatBool(s.knownLeader()))
	h.Set("X-Nomad-LastContact", strconv.FormatInt(s.lastContact().Milliseconds(), 10))
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	var mbe *http.MaxBytesError
	var de *jsonlimit.DepthError
	var qe *QuorumError
	if cause := context.Cause(r.Context()); (errors.As(cause, &qe) || errors.Is(cause, ErrLeaderChanged)) && !errors.As(err, &he) {
		err = cause // the quorum guard cancelled the request's writes
	}
	quiet := errors.As(err, &qe) || errors.Is(err, errNoLeader)
	switch {
	case errors.As(err, &qe):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case errors.Is(err, ErrLeaderChanged):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.As(err, &he):
		code = he.Code
	case errors.As(err, &de):
		code = http.StatusBadRequest
		err = fmt.Errorf("request body: %w (limits.json_max_depth)", de)
	case errors.As(err, &mbe):
		code = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("request body larger than %d bytes", mbe.Limit)
	case isTimeout(err):
		code = http.StatusRequestTimeout
		err = fmt.Errorf("request body arrived too slowly (limits.handshake_timeout): %w", err)
	case errors.Is(err, state.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, state.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, state.ErrNoSpace):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "30")
	}
	if code >= 500 && !quiet {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	httpapi.WriteText(w, code, err.Error())
}

// isTimeout reports whether err is a network timeout: the agent's read
// deadline on a request body that stopped arriving.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// decodeBody decodes a JSON request body into v, naming the field and the
// offset of any error.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	body, err := httpapi.ReadBody(w, r, maxBodyBytes)
	if err != nil {
		return nil, err
	}
	var de *jsonlimit.DepthError
	switch err := httpapi.DecodeJSON(body, requestLimits(r).JSONMaxDepth, v); {
	case errors.Is(err, httpapi.ErrEmptyBody):
		return nil, errorf(http.StatusBadRequest, "request body is empty")
	case errors.As(err, &de):
		return nil, err
	case err != nil:
		return nil, jsonError(err)
	}
	return body, nil
}

// jsonError turns a decoding error into a 400 that names the field.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return errorf(http.StatusBadRequest, "invalid JSON: field %s: cannot use %s as %s (offset %d)",
			field, te.Value, te.Type, te.Offset)
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, "invalid JSON at offset %d: %v", se.Offset, se)
	}
	return errorf(http.StatusBadRequest, "invalid JSON: %v", err)
}

// namespace returns the request's namespace, "default" when unset.
func namespace(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return "default"
}

// boolParam reads a boolean query parameter; a bare "?x" counts as true.
func boolParam(r *http.Request, name string) (bool, error) {
	b, raw, ok := httpapi.QueryBool(r, name)
	if !ok {
		return false, errorf(http.StatusBadRequest, "query parameter %q: %q is not a boolean", name, raw)
	}
	return b, nil
}
