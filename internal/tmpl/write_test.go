package tmpl

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWriteIfChanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.cfg")
	changed, err := writeIfChanged(path, []byte("one\n"))
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	assertFile(t, path, "one\n", defaultMode)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	changed, err = writeIfChanged(path, []byte("one\n"))
	if err != nil || changed {
		t.Fatalf("same content: changed=%v err=%v", changed, err)
	}
	changed, err = writeIfChanged(path, []byte("two\n"))
	if err != nil || !changed {
		t.Fatalf("new content: changed=%v err=%v", changed, err)
	}
	assertFile(t, path, "two\n", 0o600)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// TestWriteAtomicReplacesInode checks the write is a rename: a reader
// holding the old file still reads the old content whole.
func TestWriteAtomicReplacesInode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(path, []byte("old content"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := f.Read(buf)
	if string(buf[:n]) != "old content" {
		t.Errorf("open reader saw %q", buf[:n])
	}
	assertFile(t, path, "new", 0o640)
}

func TestWriteIntoUnwritableDirFails(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	_, err := writeIfChanged(filepath.Join(dir, "out"), []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "out") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCommand(t *testing.T) {
	tests := []struct {
		name, cmd, out string
		fail           bool
	}{
		{"ok", "echo hi; echo err >&2", "hi\nerr\n", false},
		{"fails", "echo bad config; exit 3", "bad config\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCommand(context.Background(), tt.cmd, time.Minute)
			if (err != nil) != tt.fail || string(out) != tt.out {
				t.Errorf("out=%q err=%v", out, err)
			}
		})
	}
}

// TestRunCommandDaemonKeepsPipe checks a command that leaves a child
// holding its output (a daemon) still returns once the shell exits.
func TestRunCommandDaemonKeepsPipe(t *testing.T) {
	out, err := runCommand(context.Background(), "sleep 30 & echo $!", time.Minute)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if perr != nil {
		t.Fatalf("out=%q err=%v", out, err)
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func assertFile(t *testing.T, path, want string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want || fi.Mode().Perm() != mode {
		t.Errorf("%s = %q mode %v, want %q mode %v", path, b, fi.Mode().Perm(), want, mode)
	}
}
