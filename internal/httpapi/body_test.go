package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/jsonlimit"
)

func TestDecodeJSON(t *testing.T) {
	type doc struct {
		Name  string
		Count int
	}
	tests := []struct {
		name  string
		body  string
		depth int
		check func(error) bool
	}{
		{"ok", `{"Name":"a","Count":2}`, 0, func(err error) bool { return err == nil }},
		{"empty", "", 0, func(err error) bool { return errors.Is(err, ErrEmptyBody) }},
		{"blanks", " \n\t ", 0, func(err error) bool { return errors.Is(err, ErrEmptyBody) }},
		{"too deep", `{"Name":[[[[[]]]]]}`, 3, func(err error) bool {
			var de *jsonlimit.DepthError
			return errors.As(err, &de) && de.Limit == 3
		}},
		{"default depth", strings.Repeat("[", jsonlimit.DefaultMaxDepth+1) + strings.Repeat("]", jsonlimit.DefaultMaxDepth+1), 0, func(err error) bool {
			var de *jsonlimit.DepthError
			return errors.As(err, &de)
		}},
		{"wrong type names the field", `{"Count":"x"}`, 0, func(err error) bool {
			var te *json.UnmarshalTypeError
			return errors.As(err, &te) && te.Field == "Count"
		}},
		{"syntax", `{"Name":`, 0, func(err error) bool {
			var se *json.SyntaxError
			return errors.As(err, &se) || strings.Contains(err.Error(), "unexpected end")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			if err := DecodeJSON([]byte(tt.body), tt.depth, &d); !tt.check(err) {
				t.Fatalf("DecodeJSON(%q) = %v", tt.body, err)
			}
		})
	}
}

func TestReadBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		tooLong bool
	}{
		{"under", 99, false},
		{"at", 100, false},
		{"over", 101, true},
		{"far over", 10 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/", strings.NewReader(strings.Repeat("x", tt.size)))
			b, err := ReadBody(httptest.NewRecorder(), r, 100)
			var mbe *http.MaxBytesError
			if got := errors.As(err, &mbe); got != tt.tooLong || (!tt.tooLong && len(b) != tt.size) {
				t.Fatalf("ReadBody of %d bytes: %d bytes, err %v", tt.size, len(b), err)
			}
		})
	}
}

func TestErrorsAndAnswers(t *testing.T) {
	err := Errorf(http.StatusConflict, "job %q exists", "web")
	if code, ok := StatusOf(err); !ok || code != 409 || err.Error() != `job "web" exists` {
		t.Fatalf("Errorf: %d %v %v", code, ok, err)
	}
	if code, ok := StatusOf(errors.Join(errors.New("x"), err)); !ok || code != 409 {
		t.Fatalf("StatusOf of a joined error = %d, %v", code, ok)
	}
	if _, ok := StatusOf(errors.New("plain")); ok {
		t.Fatal("a plain error has a status")
	}

	rec := httptest.NewRecorder()
	WriteText(rec, 418, "short and stout")
	if rec.Code != 418 || rec.Body.String() != "short and stout" || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("WriteText: %d %q %q", rec.Code, rec.Body, rec.Header())
	}

	for _, tt := range []struct{ target, want string }{
		{"/", "{\"A\":1}\n"},
		{"/?pretty", "{\n    \"A\": 1\n}\n"},
	} {
		rec := httptest.NewRecorder()
		WriteJSON(rec, httptest.NewRequest("GET", tt.target, nil), map[string]int{"A": 1})
		if rec.Body.String() != tt.want || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("WriteJSON %s: %q", tt.target, rec.Body)
		}
	}
}
