package fetch

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
)

func TestGetAndCacheHit(t *testing.T) {
	dir, built := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	var last Progress
	var reports int
	root, m, err := c.Get(testCtx(t), ts.URL+"/", "nginx", "1.0", func(p Progress) { last = p; reports++ })
	if err != nil {
		t.Fatal(err)
	}
	if root != c.RootfsDir("nginx", "1.0") {
		t.Errorf("rootfs %s, want %s", root, c.RootfsDir("nginx", "1.0"))
	}
	if got := readFile(t, filepath.Join(root, "etc/motd")); got != "hello\n" {
		t.Errorf("motd = %q", got)
	}
	if m.RootfsDigest != built.RootfsDigest {
		t.Errorf("manifest digest %s, want %s", m.RootfsDigest, built.RootfsDigest)
	}
	if !last.Done || last.Bytes != m.Size || last.Total != m.Size || last.File != "nginx_1.0.tar.zst" {
		t.Errorf("last progress %+v, want done with %d bytes", last, m.Size)
	}
	if reports == 0 {
		t.Error("no progress reports")
	}
	if n := len(downloadsOf(t, c, "nginx_1.0")); n != 3 {
		t.Errorf("downloads hold %d files, want 3 (no .part left)", n)
	}

	ts.Close() // a cache hit must not touch the network
	root2, m2, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
	if err != nil {
		t.Fatalf("cache hit: %v", err)
	}
	if root2 != root || m2.RootfsDigest != m.RootfsDigest {
		t.Errorf("cache hit returned %s %s", root2, m2.RootfsDigest)
	}
}

func TestGetUnpacksCompleteDownload(t *testing.T) {
	dir, _ := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	if _, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(c.RootfsDir("nginx", "1.0")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil); err != nil {
		t.Fatal(err)
	}
	if n := ts.count("/nginx_1.0.tar.zst"); n != 1 {
		t.Errorf("tarball fetched %d times, want 1 (verified download reused)", n)
	}
}

func TestGetErrors(t *testing.T) {
	dir, _ := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	down := newTestServer(t, dir)
	down.Close()
	tests := []struct {
		name, base, image string
		want              []string
	}{
		{"404", ts.URL, "redis", []string{"fetch " + ts.URL + "/redis_1.0.json: 404 Not Found"}},
		{"unreachable", down.URL, "nginx", []string{"fetch " + down.URL + "/nginx_1.0.json: registry unreachable:"}},
		{"bad name", ts.URL, "../x", []string{"must not contain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, Config{})
			_, _, err := c.Get(testCtx(t), tt.base, tt.image, "1.0", nil)
			if err == nil {
				t.Fatal("Get succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestGetDigestMismatchDeletesDownloads(t *testing.T) {
	dir, built := buildImage(t, "nginx", "1.0")
	b, err := os.ReadFile(built.RootfsPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(built.RootfsPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	_, _, err = c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
	if !errors.Is(err, image.ErrDigestMismatch) {
		t.Fatalf("err = %v, want digest mismatch", err)
	}
	if !strings.Contains(err.Error(), ts.URL+"/nginx_1.0.tar.zst") || !strings.Contains(err.Error(), "nginx_1.0") {
		t.Errorf("error %q does not name the URL", err)
	}
	if left := downloadsOf(t, c, "nginx_1.0"); len(left) != 0 {
		t.Errorf("downloads left after mismatch: %v", left)
	}
	if _, err := os.Stat(c.RootfsDir("nginx", "1.0")); !os.IsNotExist(err) {
		t.Errorf("rootfs exists after mismatch: %v", err)
	}
}

func TestGetSignature(t *testing.T) {
	pub, priv, err := image.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, err := image.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		signer ed25519.PrivateKey
		want   error
	}{
		{"signed", priv, nil},
		{"unsigned", nil, image.ErrNotSigned},
		{"wrong key", otherPriv, image.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := buildImage(t, "nginx", "1.0")
			if tt.signer != nil {
				if err := image.SignFiles(dir, "nginx", "1.0", tt.signer); err != nil {
					t.Fatal(err)
				}
			}
			ts := newTestServer(t, dir)
			c := newTestCache(t, Config{TrustedKeys: []ed25519.PublicKey{pub}})
			_, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), ts.URL) {
				t.Errorf("error %q does not name the URL", err)
			}
			if _, err := os.Stat(c.RootfsDir("nginx", "1.0")); !os.IsNotExist(err) {
				t.Errorf("rootfs exists: %v", err)
			}
		})
	}
}

func TestGetConcurrentSharesDownload(t *testing.T) {
	dir, _ := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	ts.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
			once.Do(func() { close(started) })
			<-release
		}
		return false
	}
	type result struct {
		root string
		err  error
	}
	results := make(chan result, 2)
	get := func() {
		root, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
		results <- result{root, err}
	}
	go get()
	<-started
	go get()
	waitFor(t, "second caller to join", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		f := c.flights["nginx_1.0"]
		return f != nil && f.waiters == 1
	})
	close(release)
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.root != c.RootfsDir("nginx", "1.0") {
			t.Errorf("root %s", r.root)
		}
	}
	if n := ts.count("/nginx_1.0.tar.zst"); n != 1 {
		t.Errorf("tarball fetched %d times, want 1", n)
	}
}

func TestGetWaiterTakesOverWhenLeaderCancels(t *testing.T) {
	dir, _ := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	started := make(chan struct{})
	var once sync.Once
	ts.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
			return false
		}
		first := false
		once.Do(func() { first = true; close(started) })
		if first {
			<-r.Context().Done()
			return true
		}
		return false
	}
	leaderCtx, cancel := context.WithCancel(testCtx(t))
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := c.Get(leaderCtx, ts.URL, "nginx", "1.0", nil)
		leaderErr <- err
	}()
	<-started
	waiterErr := make(chan error, 1)
	go func() {
		_, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
		waiterErr <- err
	}()
	waitFor(t, "second caller to join", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		f := c.flights["nginx_1.0"]
		return f != nil && f.waiters == 1
	})
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader err = %v, want canceled", err)
	}
	if err := <-waiterErr; err != nil {
		t.Errorf("waiter err = %v, want success after taking over", err)
	}
}
