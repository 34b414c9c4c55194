package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rotator writes a stream to numbered files <dir>/<name>.0, .1, ... (the
// layout of Nomad's task logs): when the current file would grow past
// maxBytes it fills it up to the limit, then goes on in the next index,
// and deletes the oldest files so that at most maxFiles remain. Opened on
// a directory that already holds files of the stream, it appends to the
// newest one.
type Rotator struct {
	mu       sync.Mutex
	dir      string
	name     string
	maxFiles int
	maxBytes int64
	f        *os.File
	index    int
	size     int64
}

// NewRotator opens the stream name in dir (created if missing). maxFiles
// and maxBytes default to DefaultLogMaxFiles and DefaultLogMaxBytes when
// not positive.
func NewRotator(dir, name string, maxFiles int, maxBytes int64) (*Rotator, error) {
	if maxFiles <= 0 {
		maxFiles = DefaultLogMaxFiles
	}
	if maxBytes <= 0 {
		maxBytes = DefaultLogMaxBytes
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	r := &Rotator{dir: dir, name: name, maxFiles: maxFiles, maxBytes: maxBytes}
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
	return filepath.Join(r.dir, r.name+"."+strconv.Itoa(index))
}

// indexes returns the indexes of the stream's files in dir, ascending.
func (r *Rotator) indexes() ([]int, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	prefix := r.name + "."
	var out []int
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && strconv.Itoa(n) == rest {
			out = append(out, n)
		}
	}
	slices.Sort(out)
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

// taskLogs carries the task's stdout and stderr from pipes into rotated
// files. The supervisor holds the read ends; the task (and whatever it
// forks) the write ends.
type taskLogs struct {
	stdout, stderr *Rotator
	outR, outW     *os.File
	errR, errW     *os.File
	copying        sync.WaitGroup
}

// openLogs opens the rotated files and the pipes of a task.
func openLogs(spec *Spec) (*taskLogs, error) {
	l := &taskLogs{}
	var err error
	if l.stdout, err = NewRotator(spec.LogDir, spec.LogName+".stdout", spec.LogMaxFiles, spec.LogMaxBytes); err != nil {
		return nil, err
	}
	if l.stderr, err = NewRotator(spec.LogDir, spec.LogName+".stderr", spec.LogMaxFiles, spec.LogMaxBytes); err != nil {
		l.close()
		return nil, err
	}
	if l.outR, l.outW, err = os.Pipe(); err != nil {
		l.close()
		return nil, err
	}
	if l.errR, l.errW, err = os.Pipe(); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// startCopy closes the supervisor's write ends (the task holds its own)
// and copies both pipes into their files.
func (l *taskLogs) startCopy() {
	l.outW.Close()
	l.errW.Close()
	l.outW, l.errW = nil, nil
	for _, c := range []struct {
		r *os.File
		w io.Writer
	}{{l.outR, l.stdout}, {l.errR, l.stderr}} {
		l.copying.Add(1)
		go func() {
			defer l.copying.Done()
			_, _ = io.Copy(c.w, c.r)
		}()
	}
}

// drain waits until the task's output is copied (every writer has exited)
// or timeout passes (a process that escaped the tree still holds a pipe),
// then closes everything.
func (l *taskLogs) drain(timeout time.Duration) {
	copied := make(chan struct{})
	go func() {
		l.copying.Wait()
		close(copied)
	}()
	select {
	case <-copied:
	case <-time.After(timeout):
	}
	l.close()
	<-copied
}

// close closes the pipes and files that are open.
func (l *taskLogs) close() {
	for _, f := range []*os.File{l.outR, l.outW, l.errR, l.errW} {
		if f != nil {
			f.Close()
		}
	}
	for _, r := range []*Rotator{l.stdout, l.stderr} {
		if r != nil {
			r.Close()
		}
	}
}
