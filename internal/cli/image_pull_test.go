package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveDir serves dir over HTTP as a static registry and returns its URL.
func serveDir(t *testing.T, dir string) string {
	t.Helper()
	ts := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(ts.Close)
	return ts.URL
}

// builtImageDir builds image app:1 from a tiny rootfs into a new directory
// (with extra build flags) and returns it.
func builtImageDir(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"image", "build", "-name", "app", "-tag", "1", "-out", dir}, extra...)
	mustRun(t, append(args, writeRootfs(t))...)
	return dir
}

func TestImagePull(t *testing.T) {
	tests := []struct {
		name  string
		build []string
		sign  bool
		trust bool
		want  string
	}{
		{"unsigned", nil, false, false, "not checked"},
		{"other platform", []string{"-os", "freebsd", "-arch", "arm64"}, false, false, "freebsd/arm64"},
		{"signed without trust", nil, true, false, "not checked"},
		{"signed with trust", nil, true, true, "valid, by a key of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := builtImageDir(t, tt.build...)
			keys := filepath.Join(t.TempDir(), "k")
			if tt.sign {
				mustRun(t, "image", "keygen", "-out", keys)
				mustRun(t, "image", "sign", "-key", keys+".key", "-dir", src, "app", "1")
			}
			dst := filepath.Join(t.TempDir(), "pulled")
			args := []string{"image", "pull", "-registry", serveDir(t, src) + "/", "-dir", dst}
			if tt.trust {
				args = append(args, "-trust", keys+".pub")
			}
			code, out, errOut := runImage(t, append(args, "app", "1")...)
			if code != 0 {
				t.Fatalf("pull: exit %d\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out, "Pulled image app:1") || !strings.Contains(out, tt.want) {
				t.Errorf("pull output:\n%s", out)
			}
			if !strings.Contains(errOut, "app_1.tar.zst") || !strings.Contains(errOut, "downloaded") {
				t.Errorf("no progress on stderr: %q", errOut)
			}
			want := []string{"app_1.json", "app_1.sha256", "app_1.tar.zst"}
			if tt.sign {
				want = []string{"app_1.json", "app_1.sha256", "app_1.sig", "app_1.tar.zst"}
			}
			if got := dirNames(t, dst); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("pulled files %v, want %v", got, want)
			}
			if !tt.sign {
				return
			}
			mustRun(t, "image", "verify", "-trust", keys+".pub", "-dir", dst, "app", "1")
		})
	}
}

func TestImagePullRefusesBadImages(t *testing.T) {
	tests := []struct {
		name   string
		spoil  func(t *testing.T, dir string)
		trust  bool
		errMsg string
	}{
		{"bad digest", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "app_1.sha256")
			b, _ := os.ReadFile(p)
			i := strings.Index(string(b), "sha256:") + len("sha256:")
			b[i] = map[bool]byte{true: '1', false: '0'}[b[i] == '0'] // another hex digit
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, "digest mismatch"},
		{"tampered archive", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "app_1.tar.zst"), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("junk")
			f.Close()
		}, false, "digest mismatch"},
		{"unsigned with trust", func(*testing.T, string) {}, true, "not signed"},
		{"missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "app_1.json")) }, false, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := builtImageDir(t)
			tt.spoil(t, src)
			dst := t.TempDir()
			args := []string{"image", "pull", "-registry", serveDir(t, src), "-dir", dst}
			if tt.trust {
				keys := filepath.Join(t.TempDir(), "k")
				mustRun(t, "image", "keygen", "-out", keys)
				args = append(args, "-trust", keys+".pub")
			}
			code, _, errOut := runImage(t, append(args, "app", "1")...)
			if code != 1 || !strings.Contains(errOut, tt.errMsg) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.errMsg)
			}
			if left := dirNames(t, dst); len(left) != 0 {
				t.Errorf("refused pull left %v in the directory", left)
			}
		})
	}
}

func TestImagePullUsage(t *testing.T) {
	for _, args := range [][]string{{"app"}, {"../x", "1"}, {"-trust", "/nonexistent", "app", "1"}} {
		if code, _, _ := runImage(t, append([]string{"image", "pull", "-dir", t.TempDir()}, args...)...); code != 1 {
			t.Errorf("pull %q: exit %d, want 1", args, code)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
