package regclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxErrorBody bounds how much of an error answer's body is read to
// explain the error.
const maxErrorBody = 1 << 10

// Client talks to one registry. It is safe for concurrent use.
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// New returns a client of the registry at base (its root URL; trailing
// slashes are ignored) that sends requests through hc (a client without
// a total timeout when nil, so that slow downloads are not cut) and
// token, when not empty, as its bearer token.
func New(base string, hc *http.Client, token string) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: strings.TrimRight(base, "/"), hc: hc, token: token}
}

// Base returns the registry's root URL without a trailing slash.
func (c *Client) Base() string { return c.base }

// FileURL returns the URL of the registry's file named file.
func (c *Client) FileURL(file string) string { return c.base + "/" + file }

// StatusError is an answer whose status is not the one asked for.
type StatusError struct {
	// Method and URL name the request.
	Method, URL string
	// Code and Status are the answer's status code and line.
	Code   int
	Status string
	// Msg is the start of the answer's body, blanks trimmed.
	Msg string
}

// Error names the request and the status. For writes it says what a
// refusal means: a 401 is a token the registry does not accept, a 403 a
// registry that takes no writes (from this token).
func (e *StatusError) Error() string {
	msg := e.Msg
	if e.Method == http.MethodPut || e.Method == http.MethodDelete {
		switch e.Code {
		case http.StatusUnauthorized:
			msg = "the registry refused the token"
		case http.StatusForbidden:
			msg = "the registry accepts no uploads: " + msg
		}
	}
	if msg == "" {
		return fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Status)
	}
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.URL, e.Status, msg)
}

// IsStatus reports whether err is a *StatusError with status code.
func IsStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// newRequest makes a request of file (or of a path when file starts with
// a slash) carrying the client's token.
func (c *Client) newRequest(ctx context.Context, method, file string, body io.Reader) (*http.Request, error) {
	u := c.FileURL(file)
	if strings.HasPrefix(file, "/") {
		u = c.base + file
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// statusError reads the start of resp's body into a *StatusError.
func statusError(req *http.Request, resp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &StatusError{Method: req.Method, URL: req.URL.String(), Code: resp.StatusCode,
		Status: resp.Status, Msg: strings.TrimSpace(string(body))}
}

// write sends a write request and checks that a 2xx status answers it.
func (c *Client) write(req *http.Request) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError(req, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return nil
}
