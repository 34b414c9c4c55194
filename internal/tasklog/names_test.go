package tasklog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFileNameRoundTrips(t *testing.T) {
	tests := []struct {
		task, typ string
		index     int
		want      string
	}{
		{"web", Stdout, 0, "web.stdout.0"},
		{"web", Stderr, 12, "web.stderr.12"},
		{"my.task", Stdout, 3, "my.task.stdout.3"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			name := FileName(tc.task, tc.typ, tc.index)
			if name != tc.want {
				t.Fatalf("FileName = %q, want %q", name, tc.want)
			}
			if idx, ok := fileIndex(name, tc.task, tc.typ); !ok || idx != tc.index {
				t.Errorf("fileIndex(%q) = %d, %v; want %d, true", name, idx, ok, tc.index)
			}
		})
	}
}

// TestListTakesOnlyTheStreamsOwnNames proves the reader and the writer
// agree on names: a name FileName cannot write is never read as the
// stream's, whatever else sits in the directory.
func TestListTakesOnlyTheStreamsOwnNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"web.stdout.0", "web.stdout.2", "web.stdout.10", // the stream
		"web.stdout.007", "web.stdout.+3", "web.stdout.-1", "web.stdout.", "web.stdout.1x",
		"web.stdout.tmp", "web.stderr.1", "webx.stdout.4", "other.stdout.5", "web.stdout",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "web.stdout.9"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := List(dir, "web", Stdout)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
		if f.Size != int64(len(f.Name)) || FileName("web", Stdout, f.Index) != f.Name {
			t.Errorf("file %+v: size or index does not match its name", f)
		}
	}
	if want := []string{"web.stdout.0", "web.stdout.2", "web.stdout.10"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q (oldest first)", got, want)
	}
}

func TestListMissingDir(t *testing.T) {
	if _, err := List(filepath.Join(t.TempDir(), "nope"), "web", Stdout); !os.IsNotExist(err) {
		t.Errorf("List of a missing dir: %v, want not-exist", err)
	}
}

func TestTypesAreChecked(t *testing.T) {
	for _, typ := range []string{"", "stdin", "stdout/../x", "STDOUT"} {
		if CheckType(typ) == nil {
			t.Errorf("CheckType(%q) = nil", typ)
		}
		if _, err := NewRotator(t.TempDir(), "web", typ, 1, 1); err == nil {
			t.Errorf("NewRotator with type %q succeeded", typ)
		}
	}
}

// TestRotatorWritesWhatStreamReads writes through rotation and streams
// the whole of it back.
func TestRotatorWritesWhatStreamReads(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRotator(dir, "web", Stderr, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	r.Close()
	files, err := List(dir, "web", Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Stream(context.Background(), &got, nil, Options{Dir: dir, Task: "web", Type: Stderr, Plain: true}); err != nil {
		t.Fatal(err)
	}
	if got.String() != "0123456789" || len(files) != 3 {
		t.Errorf("read back %q from %d files, want all 10 bytes in 3", got.String(), len(files))
	}
}
