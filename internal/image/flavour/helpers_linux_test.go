package flavour

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/image"
)

// needJail skips (or fails under CI) unless the test runs as root with
// runc and busybox installed.
func needJail(t *testing.T) {
	t.Helper()
	why := ""
	switch {
	case os.Geteuid() != 0:
		why = "needs root"
	case findRuncOrEmpty() == "":
		why = "needs runc (apt-get install runc)"
	case lookBusybox() == "":
		why = "needs busybox (apt-get install busybox)"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func findRuncOrEmpty() string {
	p, _ := findRunc("")
	return p
}

func lookBusybox() string {
	p, _ := exec.LookPath("busybox")
	return p
}

// busyboxRootfs makes a tiny rootfs with busybox at /bin/busybox (plus the
// libraries ldd lists), /bin/sh linking to it and an /etc/motd.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	bb := lookBusybox()
	copyFile(t, bb, filepath.Join(root, "bin/busybox"), 0o755)
	for _, lib := range lddLibs(t, bb) {
		real, err := filepath.EvalSymlinks(lib)
		if err != nil {
			t.Fatal(err)
		}
		copyFile(t, real, filepath.Join(root, lib), 0o755)
	}
	if err := os.Symlink("busybox", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "etc/motd"), "base\n")
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	return root
}

// lddLibs lists the absolute library paths `ldd bin` prints.
func lddLibs(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	return libs
}

// buildBase builds the busybox rootfs as image base:1.0 into a new
// directory and returns it.
func buildBase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m := image.Manifest{Name: "base", Tag: "1.0", OS: runtime.GOOS, Arch: runtime.GOARCH,
		Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/bin", "A=1"}, ExposedPorts: []int{80}}
	if _, err := image.Build(busyboxRootfs(t), m, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// unpackBuilt unpacks a built image into a new directory.
func unpackBuilt(t *testing.T, b *image.Built) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "unpacked")
	if err := image.Unpack(context.Background(), b.RootfsPath, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// assertNoContainers fails when runc lists a flavour container.
func assertNoContainers(t *testing.T) {
	t.Helper()
	out, err := exec.Command(findRuncOrEmpty(), "list", "-q").Output()
	if err != nil {
		t.Fatalf("runc list: %v", err)
	}
	if strings.Contains(string(out), "wharf-flavour-") {
		t.Errorf("containers left behind:\n%s", out)
	}
}

// assertEmptyDir fails unless dir has no entries.
func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%s not empty: %v", dir, ents)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers that can wait
// for a substring.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
