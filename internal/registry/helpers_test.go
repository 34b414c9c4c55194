package registry

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

const testToken = "s3cret-token"

// newTestServer returns a Server over a fresh directory accepting testToken.
func newTestServer(t testing.TB, tokens ...string) *Server {
	t.Helper()
	s, err := New(Config{Dir: t.TempDir(), Tokens: tokens, MaxUploadBytes: 1 << 20})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeFile writes data to name in dir.
func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// do runs one request against h and returns the recorded response.
func do(t testing.TB, h http.Handler, method, target string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// assertNoTrace fails unless name is absent from s's directory and the
// upload directory is empty.
func assertNoTrace(t *testing.T, s *Server, name string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(s.dir, name)); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed upload (err %v)", name, err)
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, uploadDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("upload directory not empty: %v", entries)
	}
}

// readAll reads a response body, failing the test on error.
func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// serve runs req against h and returns the recorded response.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// httptestServer serves s on a loopback port and returns its base URL.
func httptestServer(tb testing.TB, s *Server) string {
	tb.Helper()
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return ts.URL
}
