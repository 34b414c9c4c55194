package logstream

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// logFile is one rotated file of a task's stream.
type logFile struct {
	index int
	name  string // base name, e.g. web.stdout.3
	size  int64
}

// listFiles returns the files of task's stream in dir, oldest first.
func listFiles(dir, task, typ string) ([]logFile, error) {
	prefix := task + "." + typ + "."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []logFile
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimPrefix(name, prefix))
		if err != nil || idx < 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // rotated away meanwhile
		}
		out = append(out, logFile{index: idx, name: name, size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out, nil
}

// position is where streaming resumes: a file index and an offset in it.
type position struct {
	index  int
	offset int64
}

// startPosition resolves origin and offset against the files: from the
// start, offset bytes into the oldest file; from the end, offset bytes
// before the end, walking back over rotated files.
func startPosition(files []logFile, origin string, offset int64) (position, error) {
	if len(files) == 0 {
		return position{}, nil
	}
	switch origin {
	case "", "start":
		return position{index: files[0].index, offset: min(offset, files[0].size)}, nil
	case "end":
		remaining := offset
		for i := len(files) - 1; i >= 0; i-- {
			if remaining <= files[i].size {
				return position{index: files[i].index, offset: files[i].size - remaining}, nil
			}
			remaining -= files[i].size
		}
		return position{index: files[0].index}, nil
	}
	return position{}, fmt.Errorf("origin %q: must be \"start\" or \"end\"", origin)
}

// relPath is how frames name a file: relative to the allocation dir.
func relPath(name string) string { return filepath.Join("alloc", "logs", name) }
