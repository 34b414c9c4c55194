package flavour

import (
	"bytes"
	"sync"
)

// Limits of the output kept for a ScriptError.
const (
	tailLines   = 20
	tailLineMax = 512
)

// tail is an io.Writer that keeps the last tailLines lines written to it
// (each cut to tailLineMax bytes). It is safe for concurrent writers.
type tail struct {
	mu    sync.Mutex
	lines []string
	cur   []byte
}

// Write records p; it never fails.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		if room := tailLineMax - len(t.cur); room > 0 {
			t.cur = append(t.cur, line[:min(len(line), room)]...)
		}
		if !found {
			break
		}
		t.push(string(t.cur))
		t.cur = t.cur[:0]
		rest = after
	}
	return len(p), nil
}

func (t *tail) push(line string) {
	t.lines = append(t.lines, line)
	if len(t.lines) > tailLines {
		t.lines = t.lines[len(t.lines)-tailLines:]
	}
}

// Lines returns the kept lines, an unfinished last line included.
func (t *tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if len(t.cur) > 0 {
		out = append(out, string(t.cur))
		if len(out) > tailLines {
			out = out[1:]
		}
	}
	return out
}
