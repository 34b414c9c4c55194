package main

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// The image the fetch benchmark deploys: the seed job's nginx.
const (
	fetchPot = "nginx-nomad-amd64-13_1"
	fetchTag = "1.1.13"
)

// benchFetch times a first deployment's image pull into a fresh cache,
// interleaved with curl | zstd -d | tar -x of the same file.
func benchFetch(ctx context.Context, root string, o options) error {
	for _, tool := range []string{"curl", "zstd", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the peer needs %s: %w", tool, err)
		}
	}
	names, err := image.FileNames(fetchPot, fetchTag)
	if err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(o.images, names.Rootfs))
	if err != nil {
		return fmt.Errorf("image file: %w", err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(o.images)))
	defer srv.Close()
	var wharf, peer durations
	pulls := []struct {
		f   func(context.Context, string, string) (time.Duration, string, error)
		res *durations
	}{{fetchWharf, &wharf}, {fetchPeer, &peer}}
	var unpacked int64
	for i := -1; i < o.n; i++ { // round -1 warms up, untimed
		dir := filepath.Join(root, fmt.Sprintf("fetch-%d", i))
		for k := range pulls {
			p := pulls[(k+i+2)%2] // alternate which goes first
			d, out, err := p.f(ctx, srv.URL, filepath.Join(dir, fmt.Sprint(k)))
			if err != nil {
				return fmt.Errorf("round %d: %w", i, err)
			}
			size, err := treeSize(out)
			if err != nil {
				return err
			}
			if unpacked == 0 {
				unpacked = size
			} else if size != unpacked {
				fmt.Fprintf(os.Stderr, "jailbench: round %d unpacked %d bytes, earlier %d\n", i, size, unpacked)
			}
			if i >= 0 {
				*p.res = append(*p.res, d)
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	fmt.Printf("first deployment of %s_%s: %.1f MB .tar.zst, %.1f MB unpacked, %d rounds over loopback\n\n",
		fetchPot, fetchTag, mb(fi.Size()), mb(unpacked), o.n)
	fmt.Println("| pull | p50 | max | MB/s of .tar.zst (p50) | MB/s unpacked (p50) |\n|---|---|---|---|---|")
	for _, r := range []struct {
		name string
		d    durations
	}{{"wharf: fetch.Cache.Get (download, sha256 verify, unpack)", wharf},
		{"peer: `curl -s URL \\| zstd -d \\| tar -x -C DIR`", peer}} {
		p50 := r.d.pct(50)
		fmt.Printf("| %s | %s | %s | %.0f | %.0f |\n", r.name, ms(p50), ms(r.d.pct(100)),
			mb(fi.Size())/p50.Seconds(), mb(unpacked)/p50.Seconds())
	}
	return nil
}

// fetchWharf pulls the image into a fresh cache under dir and returns the
// rootfs directory.
func fetchWharf(ctx context.Context, url, dir string) (time.Duration, string, error) {
	t0 := time.Now()
	c, err := fetch.NewCache(fetch.Config{Dir: dir})
	if err != nil {
		return 0, "", err
	}
	rootfs, _, err := c.Get(ctx, url, fetchPot, fetchTag, nil)
	if err != nil {
		return 0, "", fmt.Errorf("wharf pull: %w", err)
	}
	return time.Since(t0), rootfs, nil
}

// fetchPeer pipes curl into zstd into tar, extracting into dir.
func fetchPeer(ctx context.Context, url, dir string) (time.Duration, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, "", err
	}
	names, _ := image.FileNames(fetchPot, fetchTag)
	script := `set -e; curl -sf "$1" | zstd -dq | tar -x -C "$2"`
	t0 := time.Now()
	out, err := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", script, "sh", url+"/"+names.Rootfs, dir).CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("curl | zstd | tar: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return time.Since(t0), dir, nil
}

// treeSize sums the sizes of the regular files under dir.
func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		fi, err := e.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

// mb is bytes in megabytes (10^6).
func mb(n int64) float64 { return float64(n) / 1e6 }
