package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Error is an error with the HTTP status its answer carries.
type Error struct {
	// Code is the HTTP status code.
	Code int
	// Msg is the error's text, the body of the answer.
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error with status code and a formatted message.
func Errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// StatusOf returns the status of the first *Error in err's chain, and
// whether there is one.
func StatusOf(err error) (int, bool) {
	var he *Error
	if errors.As(err, &he) {
		return he.Code, true
	}
	return 0, false
}

// WriteText answers with status code and msg as a plain-text body.
func WriteText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}
