package regclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// ErrPastEnd is Get's answer when the registry reports that the asked
// offset is at or past the end of the file: a resumed download that
// already holds the whole file.
var ErrPastEnd = errors.New("the requested range starts at or past the end of the file")

// RangeError is a ranged answer that does not fit the request: a
// Content-Range that cannot be read, starts elsewhere than asked or does
// not match the body's length.
type RangeError struct{ msg string }

func (e *RangeError) Error() string { return e.msg }

func rangeErrorf(format string, args ...any) error {
	return &RangeError{msg: fmt.Sprintf(format, args...)}
}

// Body is an open download. Offset is where in the file its bytes start
// and Total the file's full size (-1 when the registry did not say); a
// caller that reads fewer than Total-Offset bytes got a truncated stream.
type Body struct {
	io.ReadCloser
	Offset int64
	Total  int64
}

// Get opens the download of the registry's file named file from offset
// (a Range request when offset > 0). A registry that ignores the range
// answers with the whole file: Offset is then 0. The request's transport
// error is returned as the HTTP client gave it; a status other than 200,
// 206 or (past the end) 416 is a *StatusError and a ranged answer that
// does not fit the request a *RangeError.
func (c *Client) Get(ctx context.Context, file string, offset int64) (*Body, error) {
	req, err := c.newRequest(ctx, http.MethodGet, file, nil)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	start, total, err := bodyRange(req, resp, offset)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &Body{ReadCloser: resp.Body, Offset: start, Total: total}, nil
}

// bodyRange interprets an answer's status and headers: where its body
// starts in the file and the file's full size (-1 when unknown).
func bodyRange(req *http.Request, resp *http.Response, offset int64) (int64, int64, error) {
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		return contentRange(resp, offset)
	case resp.StatusCode == http.StatusOK:
		return 0, resp.ContentLength, nil // a server ignoring Range sends it all
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		return 0, 0, ErrPastEnd
	}
	return 0, 0, statusError(req, resp)
}

// contentRange checks a 206 answer's Content-Range against the asked
// offset and its Content-Length, and returns its start and the full size.
func contentRange(resp *http.Response, offset int64) (int64, int64, error) {
	cr := resp.Header.Get("Content-Range")
	var start, end, total int64
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
		return 0, 0, rangeErrorf("bad Content-Range %q", cr)
	}
	if start != offset {
		return 0, 0, rangeErrorf("asked for bytes from %d, got from %d", offset, start)
	}
	if end < start || end >= total || (resp.ContentLength >= 0 && resp.ContentLength != end-start+1) {
		return 0, 0, rangeErrorf("bad Content-Range %q for a body of %d bytes", cr, resp.ContentLength)
	}
	return start, total, nil
}
