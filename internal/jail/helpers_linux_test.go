package jail

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRuntime returns a runtime with a fresh state root, or skips the test
// (fails it under CI) without root, runc or busybox.
func testRuntime(t *testing.T) *Runtime {
	t.Helper()
	why := ""
	path, err := LookPath("")
	switch {
	case os.Geteuid() != 0:
		why = "needs root"
	case err != nil:
		why = "needs runc (apt-get install runc)"
	case lookBusybox() == "":
		why = "needs busybox (apt-get install busybox)"
	}
	if why != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	return &Runtime{Path: path, Root: filepath.Join(t.TempDir(), "runc")}
}

func lookBusybox() string {
	p, _ := exec.LookPath("busybox")
	return p
}

// testID is a fresh container ID.
func testID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "jailtest-" + hex.EncodeToString(b)
}

// testBundle writes a bundle running argv on a busybox rootfs, with the
// spec BuildSpec makes (host network), and returns its directory.
func testBundle(t *testing.T, id string, argv ...string) string {
	t.Helper()
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	busyboxRootfs(t, rootfs)
	s, err := BuildSpec(Input{Args: argv, Env: map[string]string{"PATH": "/bin"}, RootfsPath: rootfs,
		Hostname: "jailtest", HostNetwork: true, MemoryMB: 32, NofileLimit: MaxNofile(), CgroupsPath: "wharf/" + id})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// busyboxRootfs makes a tiny rootfs at root: busybox at /bin/busybox (plus
// the libraries ldd lists) and /bin/sh linking to it.
func busyboxRootfs(t *testing.T, root string) {
	t.Helper()
	bb := lookBusybox()
	copyFile(t, bb, filepath.Join(root, "bin/busybox"))
	for _, lib := range lddLibs(t, bb) {
		real, err := filepath.EvalSymlinks(lib)
		if err != nil {
			t.Fatal(err)
		}
		copyFile(t, real, filepath.Join(root, lib))
	}
	for _, name := range []string{"sh", "sleep", "echo", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
}

// lddLibs lists the absolute library paths `ldd bin` prints (none for a
// static binary).
func lddLibs(t *testing.T, bin string) []string {
	t.Helper()
	out, _ := exec.Command("ldd", bin).Output()
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

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or 20s pass.
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

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
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
