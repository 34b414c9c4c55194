package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingReader yields data then fails, as a client dying mid-upload.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUpload(t *testing.T) {
	body := pattern(4096, 3)
	auth := "Bearer " + testToken
	tests := []struct {
		name     string
		tokens   []string
		file     string
		body     func() io.Reader
		length   int64 // -1 unknown; 0 means len(body)
		hdr      map[string]string
		code     int
		contains string
	}{
		{name: "happy", file: "web_1.0.tar.zst", hdr: map[string]string{"Authorization": auth}, code: 201},
		{name: "happy chunked with digest", file: "web_1.0.tar.zst", length: -1,
			hdr: map[string]string{"Authorization": auth, DigestHeader: strings.ToUpper(hexSum(body))}, code: 201},
		{name: "no token", file: "web_1.0.tar.zst", code: 401, contains: "Bearer"},
		{name: "wrong token", file: "web_1.0.tar.zst", hdr: map[string]string{"Authorization": "Bearer nope"}, code: 401},
		{name: "basic auth", file: "web_1.0.tar.zst", hdr: map[string]string{"Authorization": "Basic " + testToken}, code: 401},
		{name: "uploads disabled", tokens: []string{}, file: "web_1.0.tar.zst", hdr: map[string]string{"Authorization": auth}, code: 403, contains: "disabled"},
		{name: "bad name", file: "web.tar.zst", hdr: map[string]string{"Authorization": auth}, code: 400, contains: "<name>_<tag>"},
		{name: "bad extension", file: "web_1.tar.gz", hdr: map[string]string{"Authorization": auth}, code: 400, contains: "tar.zst"},
		{name: "too large declared", file: "web_1.json", body: func() io.Reader { return bytes.NewReader(make([]byte, 2<<20)) },
			hdr: map[string]string{"Authorization": auth}, code: 413, contains: "limit is 1048576 bytes (1.0 MiB)"},
		{name: "too large streamed", file: "web_1.json", body: func() io.Reader { return bytes.NewReader(make([]byte, 2<<20)) },
			length: -1, hdr: map[string]string{"Authorization": auth}, code: 413, contains: "limit is 1048576 bytes (1.0 MiB)"},
		{name: "truncated", file: "web_1.0.tar.zst", length: 10000, hdr: map[string]string{"Authorization": auth}, code: 400, contains: "truncated"},
		{name: "body fails mid-way", file: "web_1.0.tar.zst", length: -1,
			body: func() io.Reader { return &failingReader{data: body[:1000]} }, hdr: map[string]string{"Authorization": auth}, code: 400},
		{name: "digest mismatch", file: "web_1.0.tar.zst", hdr: map[string]string{"Authorization": auth, DigestHeader: hexSum([]byte("x"))},
			code: 400, contains: "mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := []string{testToken, "other"}
			if tt.tokens != nil {
				tokens = tt.tokens
			}
			s := newTestServer(t, tokens...)
			var r io.Reader = bytes.NewReader(body)
			if tt.body != nil {
				r = tt.body()
			}
			req := newPut(t, "/"+tt.file, r, tt.hdr)
			if tt.length != 0 {
				req.ContentLength = tt.length
			}
			rec := serve(s, req)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.code, rec.Body.String())
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body %q lacks %q", rec.Body.String(), tt.contains)
			}
			if tt.code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.code != 201 {
				assertNoTrace(t, s, tt.file)
				return
			}
			got, err := os.ReadFile(filepath.Join(s.dir, tt.file))
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("stored file differs (err %v)", err)
			}
			if rec.Header().Get(DigestHeader) != hexSum(body) || rec.Header().Get("ETag") == "" {
				t.Errorf("response headers %v", rec.Header())
			}
			if get := do(t, s, "GET", "/"+tt.file, nil, nil); !bytes.Equal(get.Body.Bytes(), body) {
				t.Error("GET after upload returns other bytes")
			}
		})
	}
}

func TestUploadReplaceAndDelete(t *testing.T) {
	s := newTestServer(t, testToken)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	steps := []struct {
		method, path, body string
		hdr                map[string]string
		code               int
		after              string // expected content after the step; "-" for absent
	}{
		{"PUT", "/web_1.json", "one", auth, 201, "one"},
		{"PUT", "/web_1.json", "two!", auth, 204, "two!"},
		{"DELETE", "/web_1.json", "", nil, 401, "two!"},
		{"DELETE", "/web_1.json", "", map[string]string{"Authorization": "Bearer x"}, 401, "two!"},
		{"DELETE", "/../web_1.json", "", auth, 404, "two!"},
		{"DELETE", "/web_1.json", "", auth, 204, "-"},
		{"DELETE", "/web_1.json", "", auth, 404, "-"},
		{"DELETE", "/README", "", auth, 400, "-"},
		{"PUT", "/.upload", "x", auth, 404, "-"},
	}
	for i, st := range steps {
		rec := do(t, s, st.method, st.path, strings.NewReader(st.body), st.hdr)
		if rec.Code != st.code {
			t.Fatalf("step %d %s %s: status %d, want %d: %s", i, st.method, st.path, rec.Code, st.code, rec.Body.String())
		}
		got, err := os.ReadFile(filepath.Join(s.dir, "web_1.json"))
		if st.after == "-" {
			if !os.IsNotExist(err) {
				t.Errorf("step %d: file still present (err %v)", i, err)
			}
		} else if string(got) != st.after {
			t.Errorf("step %d: content %q, want %q", i, got, st.after)
		}
	}
}

func TestNewCleansStaleUploads(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir), "keep_1.json", []byte("{}"))
	if err := os.MkdirAll(filepath.Join(dir, uploadDir), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, uploadDir), "web_1.json.123", []byte("half"))
	s, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertNoTrace(t, s, "web_1.json")
	if _, err := os.Stat(filepath.Join(dir, "keep_1.json")); err != nil {
		t.Error(err)
	}
	if _, err := New(Config{Dir: filepath.Join(dir, "missing")}); err == nil {
		t.Error("New on a missing directory succeeded")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a directory succeeded")
	}
}

func newPut(t *testing.T, target string, body io.Reader, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://registry"+target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}
