package tasklog

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The two streams of a task.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Dir is where an allocation's task logs live, relative to the
// allocation directory; frames name files relative to it.
const Dir = "alloc/logs"

// CheckType reports an error unless typ is Stdout or Stderr.
func CheckType(typ string) error {
	if typ != Stdout && typ != Stderr {
		return fmt.Errorf("type %q: must be \"stdout\" or \"stderr\"", typ)
	}
	return nil
}

// FileName is the base name of file index of a task's stream, e.g.
// "web.stdout.3".
func FileName(task, typ string, index int) string {
	return prefix(task, typ) + strconv.Itoa(index)
}

// prefix is what every file name of the stream starts with.
func prefix(task, typ string) string { return task + "." + typ + "." }

// fileIndex returns the index a file name of the stream carries: a
// non-negative decimal number written without sign or leading zeros, as
// FileName writes it. Other names are not the stream's.
func fileIndex(name, task, typ string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix(task, typ))
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

// File is one file of a task's stream.
type File struct {
	Index int
	Name  string // base name, e.g. web.stdout.3
	Size  int64
}

// List returns the files of a task's stream in dir, oldest (lowest index)
// first. A file rotated away while listing is left out.
func List(dir, task, typ string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, e := range entries {
		idx, ok := fileIndex(e.Name(), task, typ)
		if !ok || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // rotated away meanwhile
		}
		out = append(out, File{Index: idx, Name: e.Name(), Size: info.Size()})
	}
	slices.SortFunc(out, func(a, b File) int { return a.Index - b.Index })
	return out, nil
}

// relPath is how frames name a file: relative to the allocation dir.
func relPath(name string) string { return filepath.Join(Dir, name) }
