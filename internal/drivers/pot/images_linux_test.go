package pot_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
	"github.com/wharf-project/wharf/internal/image/imagetest"
)

// reseal rewrites image bb:1 in dir after change: the tarball (when
// tarball is not nil) and the manifest, with fresh digests, so that only
// the change itself is wrong.
func reseal(t *testing.T, dir string, tarball []byte, change func(*image.Manifest)) {
	t.Helper()
	names, _ := image.FileNames("bb", "1")
	tarPath, manPath := filepath.Join(dir, names.Rootfs), filepath.Join(dir, names.Manifest)
	if tarball != nil {
		if err := os.WriteFile(tarPath, tarball, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(manPath)
	m, err := image.ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := os.ReadFile(tarPath)
	m.RootfsDigest, m.Size = "sha256:"+sum(tb), int64(len(tb))
	if change != nil {
		change(m)
	}
	mb, err := image.MarshalManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manPath, mb, 0o644); err != nil {
		t.Fatal(err)
	}
	d := image.FormatDigests(image.Digests{names.Rootfs: sum(tb), names.Manifest: sum(mb)})
	if err := os.WriteFile(filepath.Join(dir, names.Digest), d, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// traversalTarball is a zstd tarball with an entry escaping the rootfs.
func traversalTarball(t *testing.T) []byte {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := []byte("escaped\n")
	_ = tw.WriteHeader(&tar.Header{Name: "../../escape", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(body)
	_ = tw.Close()
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb)
	_, _ = zw.Write(tb.Bytes())
	_ = zw.Close()
	return zb.Bytes()
}

// TestBadImagesRefused starts tasks whose image is wrong in one way each:
// the task fails with an error naming the problem, nothing is unpacked
// into the cache, and nothing is left on the node.
func TestBadImagesRefused(t *testing.T) {
	needJails(t)
	pub, _, err := image.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := image.GenerateKey()
	tests := []struct {
		name    string
		spoil   func(t *testing.T, dir string)
		trusted bool
		serve   func(dir string) http.Handler
		want    string
	}{
		{name: "digest mismatch", spoil: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "bb_1.tar.zst")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0xff
			_ = os.WriteFile(p, b, 0o644)
		}, want: "digest"},
		{name: "wrong arch", spoil: func(t *testing.T, dir string) {
			reseal(t, dir, nil, func(m *image.Manifest) { m.Arch = "riscv64" })
		}, want: "riscv64"},
		{name: "path traversal", spoil: func(t *testing.T, dir string) {
			reseal(t, dir, traversalTarball(t), nil)
		}, want: "unsafe archive entry"},
		{name: "unsigned with trusted keys", trusted: true, want: "not signed"},
		{name: "signed by another key", trusted: true, spoil: func(t *testing.T, dir string) {
			if err := image.SignFiles(dir, "bb", "1", otherPriv); err != nil {
				t.Fatal(err)
			}
		}, want: "signature"},
		{name: "truncated download", serve: func(dir string) http.Handler {
			fs := http.FileServer(http.Dir(dir))
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, ".tar.zst") {
					fs.ServeHTTP(w, r)
					return
				}
				b, _ := os.ReadFile(filepath.Join(dir, filepath.Base(r.URL.Path)))
				w.Header().Set("Content-Length", strconv.Itoa(len(b)))
				_, _ = w.Write(b[:len(b)/3])
				panic(http.ErrAbortHandler) // cut the connection mid-body
			})
		}, want: "bb_1.tar.zst"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			imagetest.Build(t, dir, "bb", "1", "/bin/sh")
			if tc.spoil != nil {
				tc.spoil(t, dir)
			}
			h := http.FileServer(http.Dir(dir))
			if tc.serve != nil {
				h = tc.serve(dir)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			o := options(t, newTestNet(t))
			cc := fetch.Config{Dir: filepath.Join(o.DataDir, "images"), ProgressDeadline: 2e9}
			if tc.trusted {
				cc.TrustedKeys = append(cc.TrustedKeys, pub)
			}
			cache, err := fetch.NewCache(cc)
			if err != nil {
				t.Fatal(err)
			}
			o.Cache = cache
			d := pot.New(o)
			_, err = d.StartTask(ctx(t), taskConfig(t, srv.URL, map[string]any{"network_mode": "host"}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("StartTask error %v, want it to name %q", err, tc.want)
			}
			t.Logf("error: %v", err)
			if _, err := os.Stat(cache.RootfsDir("bb", "1")); err == nil {
				t.Error("the refused image was unpacked into the cache")
			}
			if left := jailLeftovers(t, o); len(left) > 0 {
				t.Errorf("left behind: %q", left)
			}
		})
	}
}
