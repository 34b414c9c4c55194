package tasklog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Default rotation, as Nomad's `logs` block.
const (
	DefaultMaxFiles = 10
	DefaultMaxBytes = 10 << 20
)

// Rotator writes one stream of a task to its numbered files (FileName:
// <dir>/<task>.<type>.0, .1, ...): when the current file would grow past
// maxBytes it fills it up to the limit, then goes on in the next index,
// and deletes the oldest files so that at most maxFiles remain. Opened on
// a directory that already holds files of the stream, it appends to the
// newest one.
type Rotator struct {
	mu       sync.Mutex
	dir      string
	task     string
	typ      string
	maxFiles int
	maxBytes int64
	f        *os.File
	index    int
	size     int64
}

// NewRotator opens the stream typ (Stdout or Stderr) of task in dir
// (created if missing). maxFiles and maxBytes default to DefaultMaxFiles
// and DefaultMaxBytes when not positive.
func NewRotator(dir, task, typ string, maxFiles int, maxBytes int64) (*Rotator, error) {
	if err := CheckType(typ); err != nil {
		return nil, err
	}
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	r := &Rotator{dir: dir, task: task, typ: typ, maxFiles: maxFiles, maxBytes: maxBytes}
	indexes, err := r.indexes()
	if err != nil {
		return nil, err
	}
	if len(indexes) > 0 {
		r.index = indexes[len(indexes)-1]
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	r.purge()
	return r, nil
}

// Path returns the path of the file with the given index.
func (r *Rotator) Path(index int) string {
	return filepath.Join(r.dir, FileName(r.task, r.typ, index))
}

// indexes returns the indexes of the stream's files in dir, ascending.
func (r *Rotator) indexes() ([]int, error) {
	files, err := List(r.dir, r.task, r.typ)
	if err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	out := make([]int, len(files))
	for i, f := range files {
		out[i] = f.Index
	}
	return out, nil
}

// open opens the file of the current index for appending.
func (r *Rotator) open() error {
	f, err := os.OpenFile(r.Path(r.index), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p to the stream, rotating as often as needed.
func (r *Rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	written := 0
	for len(p) > 0 {
		if r.size >= r.maxBytes {
			if err := r.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p
		if room := r.maxBytes - r.size; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		n, err := r.f.Write(chunk)
		written += n
		r.size += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// rotate closes the current file and opens the next index.
func (r *Rotator) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	r.index++
	if err := r.open(); err != nil {
		r.f = nil
		return err
	}
	r.purge()
	return nil
}

// purge deletes the files older than the maxFiles newest ones.
func (r *Rotator) purge() {
	indexes, err := r.indexes()
	if err != nil {
		return
	}
	oldest := r.index - r.maxFiles + 1
	for _, n := range indexes {
		if n < oldest {
			_ = os.Remove(r.Path(n))
		}
	}
}

// Close closes the current file.
func (r *Rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
