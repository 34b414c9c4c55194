package tasklog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// logFiles returns name -> content of the files in dir.
func logFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

func TestRotatorWrites(t *testing.T) {
	tests := []struct {
		name     string
		maxFiles int
		maxBytes int64
		existing map[string]string
		writes   []string
		want     map[string]string
	}{
		{name: "fits in one file", maxFiles: 3, maxBytes: 10,
			writes: []string{"abc", "def"},
			want:   map[string]string{"web.stdout.0": "abcdef"}},
		{name: "fills the file to the limit then rotates", maxFiles: 3, maxBytes: 4,
			writes: []string{"abcdef"},
			want:   map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "ef"}},
		{name: "exactly full does not open an empty file", maxFiles: 3, maxBytes: 4,
			writes: []string{"abcd"},
			want:   map[string]string{"web.stdout.0": "abcd"}},
		{name: "one write across several files", maxFiles: 5, maxBytes: 2,
			writes: []string{"abcdefg"},
			want: map[string]string{"web.stdout.0": "ab", "web.stdout.1": "cd",
				"web.stdout.2": "ef", "web.stdout.3": "g"}},
		{name: "oldest files are deleted", maxFiles: 2, maxBytes: 2,
			writes: []string{"ab", "cd", "ef", "g"},
			want:   map[string]string{"web.stdout.2": "ef", "web.stdout.3": "g"}},
		{name: "one file kept", maxFiles: 1, maxBytes: 3,
			writes: []string{"abcdefgh"},
			want:   map[string]string{"web.stdout.2": "gh"}},
		{name: "appends to the newest existing file", maxFiles: 3, maxBytes: 4,
			existing: map[string]string{"web.stdout.0": "1234", "web.stdout.1": "56"},
			writes:   []string{"78", "9"},
			want:     map[string]string{"web.stdout.0": "1234", "web.stdout.1": "5678", "web.stdout.2": "9"}},
		{name: "opening purges files beyond max", maxFiles: 2, maxBytes: 4,
			existing: map[string]string{"web.stdout.0": "a", "web.stdout.1": "b", "web.stdout.7": "c"},
			writes:   []string{"d"},
			want:     map[string]string{"web.stdout.7": "cd"}},
		{name: "other streams and odd names are left alone", maxFiles: 1, maxBytes: 2,
			existing: map[string]string{"web.stderr.0": "x", "web.stdout.01": "y", "web.stdout.tmp": "z"},
			writes:   []string{"abc"},
			want: map[string]string{"web.stderr.0": "x", "web.stdout.01": "y", "web.stdout.tmp": "z",
				"web.stdout.1": "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.existing {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := NewRotator(dir, "web", Stdout, tc.maxFiles, tc.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				n, err := r.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := logFiles(t, dir); !mapsEqual(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRotatorDefaultsAndCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alloc", "logs")
	r, err := NewRotator(dir, "web", Stderr, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.maxFiles != DefaultMaxFiles || r.maxBytes != DefaultMaxBytes {
		t.Errorf("defaults = %d files of %d bytes", r.maxFiles, r.maxBytes)
	}
	if _, err := os.Stat(r.Path(0)); err != nil {
		t.Errorf("first file not created: %v", err)
	}
}

func TestRotatorWriteAfterClose(t *testing.T) {
	r, err := NewRotator(t.TempDir(), "web", Stdout, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestRotatorLongStreamKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRotator(dir, "web", Stdout, 3, 100)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 37) + "\n"
	for range 1000 {
		if _, err := r.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	got := logFiles(t, dir)
	var names []string
	total := 0
	for name, content := range got {
		names = append(names, name)
		total += len(content)
	}
	slices.Sort(names)
	want := []string{"web.stdout.377", "web.stdout.378", "web.stdout.379"}
	if !slices.Equal(names, want) {
		t.Fatalf("files = %v, want %v", names, want)
	}
	if total != 38000-377*100 {
		t.Errorf("kept %d bytes, want %d", total, 38000-377*100)
	}
}

func TestRotatorUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRotator(filepath.Join(file, "logs"), "web", Stdout, 1, 1); err == nil {
		t.Fatal("NewRotator under a file succeeded")
	}
}

// BenchmarkRotatorWrite measures log throughput through rotation (4 KiB
// writes into 1 MiB files, 3 kept).
func BenchmarkRotatorWrite(b *testing.B) {
	r, err := NewRotator(b.TempDir(), "web", Stdout, 3, 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	chunk := []byte(strings.Repeat("x", 4095) + "\n")
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if _, err := r.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}
