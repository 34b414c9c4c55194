package fetch

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/image"
)

// buildImage builds a small image name:tag for this host into a new
// directory and returns it.
func buildImage(t *testing.T, name, tag string) (string, *image.Built) {
	t.Helper()
	src := t.TempDir()
	files := map[string]string{
		"etc/motd":  "hello\n",
		"bin/app":   randomString(256 << 10),
		"README.md": "test image\n",
	}
	for p, body := range files {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	b, err := image.Build(src, image.Manifest{Name: name, Tag: tag, OS: runtime.GOOS, Arch: runtime.GOARCH}, out)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

// testServer serves a directory and records requests. hook, when set, may
// answer a request itself by returning true.
type testServer struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	ranges []string
	hook   func(w http.ResponseWriter, r *http.Request) bool
}

func newTestServer(t *testing.T, dir string) *testServer {
	t.Helper()
	ts := &testServer{counts: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.counts[r.URL.Path]++
		if strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
			ts.ranges = append(ts.ranges, r.Header.Get("Range"))
		}
		hook := ts.hook
		ts.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) count(path string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.counts[path]
}

func (ts *testServer) tarballRanges() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.ranges...)
}

func newTestCache(t *testing.T, cfg Config) *Cache {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	c, err := NewCache(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// downloadsOf lists the files of ref in the cache's downloads directory.
func downloadsOf(t *testing.T, c *Cache, ref string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(c.downloadsDir(), ref+".*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// randomString returns n incompressible bytes, the same on every run.
func randomString(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}
