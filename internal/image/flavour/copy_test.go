package flavour

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestCopyTreeKeepsMetadata(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	mtime := time.Unix(1600000000, 0)
	mk := func(rel string, mode fs.FileMode, body string) {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	mk("bin/tool", 0o755|fs.ModeSetuid, "tool")
	mk("etc/conf", 0o640, "conf")
	must(t, os.Link(filepath.Join(src, "bin/tool"), filepath.Join(src, "bin/tool2")))
	must(t, os.Symlink("/etc/conf", filepath.Join(src, "etc/abs-link")))
	must(t, os.Symlink("../bin/tool", filepath.Join(src, "etc/rel-link")))
	must(t, os.Mkdir(filepath.Join(src, "tmp"), 0o755))
	must(t, os.Chmod(filepath.Join(src, "tmp"), 0o777|fs.ModeSticky))
	must(t, os.Mkdir(filepath.Join(src, "ro"), 0o755))
	mk("ro/file", 0o444, "ro")
	must(t, os.Chmod(filepath.Join(src, "ro"), 0o555))
	must(t, os.Chtimes(filepath.Join(src, "etc"), mtime, mtime))
	if os.Geteuid() == 0 {
		must(t, os.Lchown(filepath.Join(src, "etc/conf"), 1234, 5678))
	}

	dst := filepath.Join(t.TempDir(), "dst")
	if err := CopyTree(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel  string
		mode fs.FileMode
	}{
		{"bin/tool", 0o755 | fs.ModeSetuid},
		{"etc/conf", 0o640},
		{"tmp", fs.ModeDir | 0o777 | fs.ModeSticky},
		{"ro", fs.ModeDir | 0o555},
		{"ro/file", 0o444},
	}
	for _, tt := range tests {
		fi, err := os.Lstat(filepath.Join(dst, tt.rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tt.mode {
			t.Errorf("%s: mode %v, want %v", tt.rel, fi.Mode(), tt.mode)
		}
	}
	for rel, want := range map[string]string{"etc/abs-link": "/etc/conf", "etc/rel-link": "../bin/tool"} {
		if got, err := os.Readlink(filepath.Join(dst, rel)); err != nil || got != want {
			t.Errorf("%s -> %q, %v; want %q", rel, got, err, want)
		}
	}
	a, b := stat(t, filepath.Join(dst, "bin/tool")), stat(t, filepath.Join(dst, "bin/tool2"))
	if a.Ino != b.Ino {
		t.Error("hard link not kept")
	}
	for _, rel := range []string{"bin/tool", "etc"} {
		fi, _ := os.Lstat(filepath.Join(dst, rel))
		if !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: mtime %v, want %v", rel, fi.ModTime(), mtime)
		}
	}
	if os.Geteuid() == 0 {
		if st := stat(t, filepath.Join(dst, "etc/conf")); st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("owner %d:%d, want 1234:5678", st.Uid, st.Gid)
		}
	}
}

func TestCopyTreeRefusesExistingAndFifo(t *testing.T) {
	src := t.TempDir()
	if err := CopyTree(context.Background(), src, t.TempDir()); err == nil {
		t.Error("copy onto an existing directory succeeded")
	}
	must(t, syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644))
	dst := filepath.Join(t.TempDir(), "dst")
	if err := CopyTree(context.Background(), src, dst); err == nil {
		t.Error("fifo copied")
	}
	if _, err := os.Lstat(dst); err == nil {
		t.Error("failed copy left its destination")
	}
}

func stat(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
