package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnpackRefusals(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		opts    UnpackOptions
		want    string // substring of the error
	}{
		{"dotdot", []tarEntry{reg("../evil", "x")}, UnpackOptions{}, `"../evil"`},
		{"inner dotdot", []tarEntry{reg("a/../../evil", "x")}, UnpackOptions{}, `contains ".."`},
		{"absolute", []tarEntry{reg("/abs", "x")}, UnpackOptions{}, "absolute path"},
		{"through symlink", []tarEntry{symlinkEntry("a", "/etc"), reg("a/passwd", "x")}, UnpackOptions{}, `parent "a" is a symlink`},
		{"through relative symlink", []tarEntry{symlinkEntry("a", "../.."), reg("a/b/c", "x")}, UnpackOptions{}, `parent "a" is a symlink`},
		{"dir through symlink", []tarEntry{symlinkEntry("a", "/tmp"), dirEntry("a/d/")}, UnpackOptions{}, `parent "a" is a symlink`},
		{"hardlink absolute", []tarEntry{hardlinkEntry("pw", "/etc/passwd")}, UnpackOptions{}, "leaves the tree"},
		{"hardlink dotdot", []tarEntry{hardlinkEntry("pw", "../x")}, UnpackOptions{}, "leaves the tree"},
		{"hardlink via symlink", []tarEntry{symlinkEntry("e", "/etc"), hardlinkEntry("pw", "e/passwd")}, UnpackOptions{}, "is not a directory"},
		{"hardlink to symlink", []tarEntry{symlinkEntry("s", "/etc/passwd"), hardlinkEntry("pw", "s")}, UnpackOptions{}, "not an earlier regular file"},
		{"hardlink missing", []tarEntry{hardlinkEntry("pw", "nothere")}, UnpackOptions{}, "not an earlier regular file"},
		{"char device", []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}}}, UnpackOptions{}, `"dev/null": unsafe archive entry: device nodes are refused`},
		{"block device", []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "sda", Mode: 0o666}}}, UnpackOptions{}, "device nodes are refused"},
		{"fifo", []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe", Mode: 0o666}}}, UnpackOptions{}, `"pipe": unsafe archive entry: fifos are refused`},
		{"oversized", []tarEntry{reg("a", "12345"), reg("b", "123456")}, UnpackOptions{MaxBytes: 10}, "size limit of 10 bytes"},
		{"too many entries", []tarEntry{reg("a", ""), reg("b", ""), reg("c", "")}, UnpackOptions{MaxEntries: 2}, "more than 2 entries"},
		{"file over dir", []tarEntry{dirEntry("d/"), reg("d", "x")}, UnpackOptions{}, "would replace a directory"},
		{"dir over file", []tarEntry{reg("d", "x"), dirEntry("d/")}, UnpackOptions{}, "would replace a non-directory"},
		{"file under file", []tarEntry{reg("f", "x"), reg("f/g", "x")}, UnpackOptions{}, `parent "f" is not a directory`},
		{"root not dir", []tarEntry{reg(".", "")}, UnpackOptions{}, "root entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			src := writeTestTarZst(t, base, tarBytes(t, tt.entries...))
			dest := filepath.Join(base, "out", "rootfs")
			err := UnpackWith(context.Background(), src, dest, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unpack error = %v, want it to contain %q", err, tt.want)
			}
			assertOnlyChildren(t, filepath.Join(base, "out"))
		})
	}
}

// assertOnlyChildren fails when dir holds entries other than names.
func assertOnlyChildren(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

func TestUnpackAccepts(t *testing.T) {
	base := t.TempDir()
	setuid := reg("bin/su", "su")
	setuid.hdr.Mode = 0o4755
	ro := dirEntry("ro/")
	ro.hdr.Mode = 0o555
	data := tarBytes(t,
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "git"}}},
		dirEntry("./"),
		dirEntry("etc/"),
		reg("etc/hosts", "127.0.0.1 localhost\n"),
		symlinkEntry("etc/localtime", "/usr/share/zoneinfo/UTC"),
		symlinkEntry("up", "../../.."),
		hardlinkEntry("etc/hosts2", "etc/hosts"),
		reg("deep/implicit/file", "x"),
		setuid,
		ro,
		reg("ro/f", "read only dir"),
		reg("dup", "first"),
		reg("dup", "second"),
	)
	src := writeTestTarZst(t, base, data)
	dest := filepath.Join(base, "rootfs")
	if err := Unpack(context.Background(), src, dest); err != nil {
		t.Fatal(err)
	}
	got := treeListing(t, dest)
	want := map[string]string{
		"bin":                "drwxr-xr-x",
		"bin/su":             "-rwxr-xr-x su",
		"deep":               "drwxr-xr-x",
		"deep/implicit":      "drwxr-xr-x",
		"deep/implicit/file": "-rw-r--r-- x",
		"dup":                "-rw-r--r-- second",
		"etc":                "drwxr-xr-x",
		"etc/hosts":          "-rw-r--r-- 127.0.0.1 localhost\n",
		"etc/hosts2":         "-rw-r--r-- 127.0.0.1 localhost\n",
		"etc/localtime":      "Lrwxrwxrwx -> /usr/share/zoneinfo/UTC",
		"ro":                 "dr-xr-xr-x",
		"ro/f":               "-rw-r--r-- read only dir",
		"up":                 "Lrwxrwxrwx -> ../../..",
	}
	compareListings(t, got, want)

	dest2 := filepath.Join(base, "rootfs2")
	if err := UnpackWith(context.Background(), src, dest2, UnpackOptions{AllowSetid: true}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dest2, "bin/su")); err != nil || fi.Mode()&os.ModeSetuid == 0 {
		t.Fatalf("AllowSetid: bin/su mode = %v, %v; want setuid", fi.Mode(), err)
	}
}

func compareListings(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %q", k, g)
		}
	}
}

func TestUnpackDestExists(t *testing.T) {
	base := t.TempDir()
	src := writeTestTarZst(t, base, tarBytes(t, reg("a", "x")))
	if err := Unpack(context.Background(), src, base); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Unpack into existing dir = %v", err)
	}
}

func TestUnpackCorrupt(t *testing.T) {
	base := t.TempDir()
	src := writeTestTarZst(t, base, tarBytes(t, reg("a", strings.Repeat("x", 100000)), reg("b", "y")))
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"truncated": b[:len(b)/2],
		"not zstd":  []byte("hello world, not zstd"),
		"flipped":   append(bytes.Clone(b[:len(b)-8]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.tar.zst")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := Unpack(context.Background(), p, filepath.Join(out, "rootfs")); err == nil {
				t.Fatal("Unpack of a corrupt file succeeded")
			}
			assertOnlyChildren(t, out)
		})
	}
}

func TestUnpackCanceled(t *testing.T) {
	base := t.TempDir()
	src := writeTestTarZst(t, base, tarBytes(t, reg("a", "x")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Unpack(ctx, src, filepath.Join(base, "out"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Unpack with canceled context = %v", err)
	}
}
