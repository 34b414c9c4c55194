package tasklog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// Options say what to stream.
type Options struct {
	// Dir is the allocation's logs directory.
	Dir string
	// Task and Type ("stdout" or "stderr") name the stream.
	Task, Type string
	// Origin is "start" (default) or "end"; Offset counts bytes from it.
	Origin string
	Offset int64
	// Follow keeps streaming new output.
	Follow bool
	// Dead reports whether the task has ended for good: a follow stops
	// once it is true and every byte has been sent. nil means never.
	Dead func() bool
	// Plain writes raw bytes instead of JSON frames.
	Plain bool
	// Poll is how often a follow looks for new output. Default 50ms.
	Poll time.Duration
	// Heartbeat is how often a follow with no output sends an empty frame.
	// Default 10s.
	Heartbeat time.Duration
}

const chunkSize = 64 << 10

// Stream writes the stream to w until it is drained (or, following, until
// the task is dead and drained, or ctx ends). flush, when non-nil, is
// called after each write so frames reach the reader at once.
func Stream(ctx context.Context, w io.Writer, flush func(), o Options) error {
	if err := CheckType(o.Type); err != nil {
		return err
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 10 * time.Second
	}
	s := &streamer{w: w, flush: flush, o: o, enc: json.NewEncoder(w)}
	files, err := List(o.Dir, o.Task, o.Type)
	if err != nil && !(errors.Is(err, os.ErrNotExist) && o.Follow) {
		return fmt.Errorf("read logs of task %q: %w", o.Task, err)
	}
	if s.pos, err = startPosition(files, o.Origin, o.Offset); err != nil {
		return err
	}
	return s.run(ctx)
}

type streamer struct {
	w        io.Writer
	flush    func()
	enc      *json.Encoder
	o        Options
	pos      position
	lastSent time.Time
}

// run sends what exists, then (following) waits for more.
func (s *streamer) run(ctx context.Context) error {
	s.lastSent = time.Now()
	for {
		// Read the task's state before draining: output written before it
		// died is on disk by then, so one more drain sends all of it.
		dead := s.o.Dead != nil && s.o.Dead()
		sent, err := s.drain()
		if err != nil {
			return err
		}
		if !s.o.Follow || (dead && !sent) {
			return nil
		}
		if !sent && time.Since(s.lastSent) >= s.o.Heartbeat && !s.o.Plain {
			if err := s.write(&api.LogFrame{}); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.o.Poll):
		}
	}
}

// drain sends everything from the current position to the end of the
// newest file; it reports whether it sent anything.
func (s *streamer) drain() (bool, error) {
	files, err := List(s.o.Dir, s.o.Task, s.o.Type)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	sent := false
	for _, f := range files {
		if f.Index < s.pos.index {
			continue
		}
		if f.Index > s.pos.index {
			s.pos = position{index: f.Index}
		}
		n, err := s.sendFile(f)
		if err != nil {
			return sent, err
		}
		sent = sent || n > 0
	}
	return sent, nil
}

// sendFile sends f from the current offset to its end.
func (s *streamer) sendFile(f File) (int64, error) {
	fh, err := os.Open(filepath.Join(s.o.Dir, f.Name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil // rotated away: the next file continues
		}
		return 0, err
	}
	defer fh.Close()
	if _, err := fh.Seek(s.pos.offset, io.SeekStart); err != nil {
		return 0, err
	}
	var total int64
	buf := make([]byte, chunkSize)
	for {
		n, rerr := fh.Read(buf)
		if n > 0 {
			fr := &api.LogFrame{File: relPath(f.Name), Offset: s.pos.offset + int64(n), Data: buf[:n]}
			if err := s.write(fr); err != nil {
				return total, err
			}
			s.pos.offset += int64(n)
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

func (s *streamer) write(f *api.LogFrame) error {
	var err error
	if s.o.Plain {
		_, err = s.w.Write(f.Data)
	} else {
		err = s.enc.Encode(f)
	}
	if err != nil {
		return err
	}
	if s.flush != nil {
		s.flush()
	}
	s.lastSent = time.Now()
	return nil
}
