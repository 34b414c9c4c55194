// Package imagetest builds small real images for tests: a rootfs holding
// the host's busybox (with the shared libraries it needs) and the applets
// tests use, packed as a wharf image and served over loopback HTTP like a
// registry.
//
// imagetest must only be imported by tests; it must never import
// internal/client, internal/server or internal/state.
package imagetest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
)

// Applets are the busybox commands linked into the rootfs's /bin.
var Applets = []string{"sh", "echo", "cat", "sleep", "printf", "httpd", "ls", "wc", "true", "false",
	"id", "hostname", "ps", "kill", "mkdir", "stty", "env", "head", "dd", "wget", "ip", "nc", "tail", "yes", "grep", "touch", "tty"}

// libPath matches a library path in ldd's output.
var libPath = regexp.MustCompile(`(/[^\s]+) \(0x`)

// BusyboxRootfs makes a rootfs in dir from the host's busybox and returns
// dir. It fails t when busybox is missing and CI is set, and skips t
// otherwise.
func BusyboxRootfs(t testing.TB, dir string) string {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		Need(t, "busybox: "+err.Error())
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev", "www"} {
		mkdir(t, filepath.Join(dir, d))
	}
	copyFile(t, bb, filepath.Join(dir, "bin", "busybox"), 0o755)
	out, err := exec.Command("ldd", bb).Output()
	if err == nil {
		for _, m := range libPath.FindAllStringSubmatch(string(out), -1) {
			copyFile(t, m[1], filepath.Join(dir, m[1]), 0o755)
		}
	}
	for _, a := range Applets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "etc", "passwd"), "root:x:0:0:root:/:/bin/sh\n")
	writeFile(t, filepath.Join(dir, "www", "index.html"), "hello from the jail\n")
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Build packs a busybox rootfs as image name:tag into outDir, with cmd as
// its default command, and returns what was built.
func Build(t testing.TB, outDir, name, tag string, cmd ...string) *image.Built {
	t.Helper()
	root := BusyboxRootfs(t, filepath.Join(t.TempDir(), "rootfs"))
	b, err := image.Build(root, image.Manifest{Name: name, Tag: tag, OS: runtime.GOOS, Arch: runtime.GOARCH,
		Cmd: cmd, Env: []string{"PATH=/bin"}}, outDir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Serve serves dir over loopback HTTP as a registry and returns its base
// URL; the server stops at the end of t.
func Serve(t testing.TB, dir string) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Need fails t with why when CI is set and skips it otherwise.
func Need(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Dir(dst))
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}
