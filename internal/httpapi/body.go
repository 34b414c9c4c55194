package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/wharf-project/wharf/internal/jsonlimit"
)

// ErrEmptyBody is DecodeJSON's answer to a body that holds only blanks.
var ErrEmptyBody = errors.New("request body is empty")

// ReadBody reads r's body up to limit bytes. A longer body fails with an
// *http.MaxBytesError (and the connection is closed after the answer, so
// the rest is never read); a body that stops arriving fails with the
// connection's read error.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// DecodeJSON decodes body into v once it has checked that body is not
// blank (ErrEmptyBody) and nests no deeper than maxDepth
// (*jsonlimit.DepthError; 0 means jsonlimit.DefaultMaxDepth). Decoding
// errors are encoding/json's, for the caller to word: a
// *json.UnmarshalTypeError names the field, a *json.SyntaxError the
// offset.
func DecodeJSON(body []byte, maxDepth int, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmptyBody
	}
	if err := jsonlimit.CheckDepth(body, maxDepth); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

// WriteJSON answers with v as JSON, indented when the request asks for
// ?pretty, as both Nomad and Consul do. Headers already set on w (an
// index, say) are kept; the status is 200.
func WriteJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	if _, ok := r.URL.Query()["pretty"]; ok {
		enc.SetIndent("", "    ")
	}
	_ = enc.Encode(v)
}
