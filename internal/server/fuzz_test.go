package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// FuzzJobRegisterBody feeds any bytes to the decoding of a job register
// body (size and depth bounds, JSON decoding, the field check, the limits,
// defaults and validation) and checks it never panics, refuses with a
// 4xx that says why, and accepts only jobs that are valid and within the
// limits. The seed corpus is testdata/jobs/*.json.
func FuzzJobRegisterBody(f *testing.F) {
	files, err := filepath.Glob("testdata/jobs/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("seed corpus: %v %v", files, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s, err := New(Config{Store: memstore.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: Limits{JobMaxBytes: 1 << 20}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := withLimits(httptest.NewRequest("PUT", "/v1/jobs", strings.NewReader(string(body))), &s.cfg.Limits)
		var req structs.JobRegisterRequest
		job, err := s.decodeSubmittedJob(httptest.NewRecorder(), r, &req, func() *structs.Job { return req.Job })
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) && !isBodyLimitError(err) {
				t.Fatalf("error %T %v is not an HTTP error", err, err)
			}
			if he != nil && (he.Code < 400 || he.Code >= 500 || he.Msg == "") {
				t.Fatalf("refused with %d %q", he.Code, he.Msg)
			}
			return
		}
		if job == nil {
			t.Fatal("no job and no error")
		}
		if err := job.Validate(); err != nil {
			t.Fatalf("accepted job does not validate: %v", err)
		}
		if err := job.CheckLimits(s.cfg.Limits.Job); err != nil {
			t.Fatalf("accepted job is over the limits: %v", err)
		}
	})
}

func isBodyLimitError(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || strings.Contains(err.Error(), "nested deeper")
}
