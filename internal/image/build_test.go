package image

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testManifest() Manifest {
	return Manifest{
		Name: "nginx-nomad-amd64-13_1", Tag: "1.1.13", OS: "linux", Arch: "amd64",
		Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Cmd:     []string{"/usr/local/sbin/nginx", "-g", "daemon off;"},
		Env:     []string{"PATH=/bin:/usr/bin"}, ExposedPorts: []int{80},
	}
}

var sampleTree = map[string]string{
	"etc/":               "",
	"etc/hosts":          "127.0.0.1 localhost\n",
	"etc/localtime":      "->/usr/share/zoneinfo/UTC",
	"usr/local/bin/tool": "#!/bin/sh\necho hi\n",
	"var/empty/":         "",
	"www/index.html":     "<h1>hello</h1>",
}

func TestBuildReproducible(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src, sampleTree)
	b1, err := Build(src, testManifest(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Touching every file must not change the digest.
	later := time.Now().Add(time.Hour)
	for _, p := range []string{"etc/hosts", "www/index.html", "etc"} {
		if err := os.Chtimes(filepath.Join(src, p), later, later); err != nil {
			t.Fatal(err)
		}
	}
	b2, err := Build(src, testManifest(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if b1.RootfsDigest != b2.RootfsDigest || b1.ManifestDigest != b2.ManifestDigest {
		t.Fatalf("digests differ: %s/%s vs %s/%s", b1.RootfsDigest, b1.ManifestDigest, b2.RootfsDigest, b2.ManifestDigest)
	}
	d1, _ := os.ReadFile(b1.DigestPath)
	d2, _ := os.ReadFile(b2.DigestPath)
	if string(d1) != string(d2) {
		t.Fatalf("digest files differ:\n%s\n%s", d1, d2)
	}
	b3, err := BuildWith(src, testManifest(), t.TempDir(), BuildOptions{KeepMtimes: true})
	if err != nil {
		t.Fatal(err)
	}
	if b3.RootfsDigest == b1.RootfsDigest {
		t.Fatal("KeepMtimes did not change the digest")
	}
}

func TestBuildVerifyUnpackRoundTrip(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src, sampleTree)
	if err := os.Chmod(filepath.Join(src, "usr/local/bin/tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(src, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := t.TempDir()
	built, err := Build(src, testManifest(), out)
	if err != nil {
		t.Fatal(err)
	}
	m := testManifest()
	m, err2 := verifyOnAmd64(t, out, m)
	if err2 != nil {
		t.Fatal(err2)
	}
	if m.RootfsDigest != built.RootfsDigest || m.Size <= 0 {
		t.Fatalf("manifest = %+v", m)
	}
	dest := filepath.Join(t.TempDir(), "rootfs")
	if err := Unpack(context.Background(), built.RootfsPath, dest); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(src, "sock"))
	compareListings(t, treeListing(t, dest), treeListing(t, src))
	assertNoTempFiles(t, out)
}

func verifyOnAmd64(t *testing.T, dir string, m Manifest) (Manifest, error) {
	t.Helper()
	got, err := VerifyFilesFor(dir, m.Name, m.Tag, nil, Platform{OS: "linux", Arch: "amd64"})
	if err != nil {
		return Manifest{}, err
	}
	return *got, nil
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	t.Run("fifo", func(t *testing.T) {
		src := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
			t.Skip("mkfifo:", err)
		}
		out := t.TempDir()
		_, err := Build(src, testManifest(), out)
		if err == nil || !strings.Contains(err.Error(), "pipe") {
			t.Fatalf("Build with a fifo = %v", err)
		}
		assertOnlyChildren(t, out)
	})
	t.Run("bad manifest", func(t *testing.T) {
		m := testManifest()
		m.Tag = "../x"
		if _, err := Build(t.TempDir(), m, t.TempDir()); err == nil {
			t.Fatal("Build accepted tag ../x")
		}
	})
}
