package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrNotFound is matched (with errors.Is) by every error that means the
// object does not exist: a 404 from the server or a prefix that matched
// nothing.
var ErrNotFound = errors.New("not found")

// maxErrorBody bounds how much of an error body is kept.
const maxErrorBody = 64 << 10

// Error is a non-2xx answer from the server.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the server's message body, trimmed.
	Message string
	// Method and Path name the request.
	Method string
	Path   string
}

// Error formats the status and the server's message.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("unexpected response code %d (%s)", e.StatusCode, msg)
}

// Is lets errors.Is(err, ErrNotFound) match a 404.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

func newError(method, path string, resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &Error{StatusCode: resp.StatusCode, Message: errorMessage(b), Method: method, Path: path}
}

// errorMessage returns the server's message: the plain-text body, or the
// error field of a JSON body.
func errorMessage(b []byte) string {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "{") {
		return s
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return s
	}
	for _, k := range []string{"Error", "error", "Message", "message"} {
		if v, ok := m[k].(string); ok && v != "" {
			return v
		}
	}
	return s
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// notFoundError is a lookup that found nothing on the client side (an ID
// prefix that matched no object).
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// AmbiguousPrefixError is an ID prefix that matched several objects.
type AmbiguousPrefixError struct {
	// Kind is the plural of what was looked up: "allocations", "jobs"...
	Kind string
	// Prefix is what the caller gave.
	Prefix string
	// Matches are the full IDs that matched, in the server's order.
	Matches []string
}

// Error names the prefix and the matches.
func (e *AmbiguousPrefixError) Error() string {
	return fmt.Sprintf("prefix %q matched multiple %s: %s", e.Prefix, e.Kind, strings.Join(e.Matches, ", "))
}

var (
	_ error = (*Error)(nil)
	_ error = (*AmbiguousPrefixError)(nil)
	_ error = (*notFoundError)(nil)
)
