package tasklog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

func writeLog(t *testing.T, dir, name, data string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// decode reads JSON frames and returns their data joined, and the frames.
func decode(t *testing.T, r io.Reader) (string, []api.LogFrame) {
	t.Helper()
	dec := json.NewDecoder(r)
	var frames []api.LogFrame
	var data strings.Builder
	for {
		var f api.LogFrame
		if err := dec.Decode(&f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
		data.Write(f.Data)
	}
	return data.String(), frames
}

func TestStreamOrigins(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "web.stdout.0", "hello ")
	writeLog(t, dir, "web.stdout.1", "rotated ")
	writeLog(t, dir, "web.stdout.2", "world\n")
	writeLog(t, dir, "web.stderr.0", "oops\n")
	writeLog(t, dir, "other.stdout.0", "not mine\n")
	tests := []struct {
		name   string
		o      Options
		want   string
		hasErr bool
	}{
		{"all stdout", Options{Type: "stdout"}, "hello rotated world\n", false},
		{"stderr", Options{Type: "stderr"}, "oops\n", false},
		{"start offset", Options{Type: "stdout", Offset: 2}, "llo rotated world\n", false},
		{"tail within last file", Options{Type: "stdout", Origin: "end", Offset: 3}, "ld\n", false},
		{"tail across files", Options{Type: "stdout", Origin: "end", Offset: 10}, "ted world\n", false},
		{"tail beyond everything", Options{Type: "stdout", Origin: "end", Offset: 1000}, "hello rotated world\n", false},
		{"bad type", Options{Type: "stdin"}, "", true},
		{"bad origin", Options{Type: "stdout", Origin: "middle"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Dir, tc.o.Task = dir, "web"
			var buf bytes.Buffer
			err := Stream(context.Background(), &buf, nil, tc.o)
			if (err != nil) != tc.hasErr {
				t.Fatalf("err = %v", err)
			}
			if got, _ := decode(t, &buf); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStreamFramesNameFileAndOffset(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "web.stdout.0", "abc")
	var buf bytes.Buffer
	if err := Stream(context.Background(), &buf, nil, Options{Dir: dir, Task: "web", Type: "stdout"}); err != nil {
		t.Fatal(err)
	}
	_, frames := decode(t, &buf)
	if len(frames) != 1 || frames[0].File != "alloc/logs/web.stdout.0" || frames[0].Offset != 3 {
		t.Fatalf("frames %+v", frames)
	}
}

func TestStreamPlain(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "web.stdout.0", "raw\n")
	var buf bytes.Buffer
	if err := Stream(context.Background(), &buf, nil, Options{Dir: dir, Task: "web", Type: "stdout", Plain: true}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "raw\n" {
		t.Fatalf("got %q", buf.String())
	}
}

// syncWriter lets the test read what a following stream wrote so far.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestFollowEndsWhenTaskDiesAndIsDrained follows a log through a rotation;
// the stream ends by itself once the task is dead and its last output sent.
func TestFollowEndsWhenTaskDiesAndIsDrained(t *testing.T) {
	dir := t.TempDir()
	var dead atomic.Bool
	w := &syncWriter{}
	done := make(chan error, 1)
	go func() {
		done <- Stream(context.Background(), w, nil, Options{Dir: dir, Task: "web", Type: "stdout", Follow: true,
			Dead: dead.Load, Poll: 5 * time.Millisecond})
	}()
	writeLog(t, dir, "web.stdout.0", "one\n") // the task starts after the follow began
	waitUntil(t, func() bool { return strings.Contains(w.String(), "b25lCg==") })
	writeLog(t, dir, "web.stdout.1", "two\n")
	writeLog(t, dir, "web.stdout.1", "last\n")
	dead.Store(true)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end after the task died")
	}
	got, _ := decode(t, strings.NewReader(w.String()))
	if got != "one\ntwo\nlast\n" {
		t.Fatalf("followed %q", got)
	}
}

func TestFollowStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Stream(ctx, io.Discard, nil, Options{Dir: dir, Task: "web", Type: "stdout", Follow: true, Poll: 5 * time.Millisecond})
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("follow ignored its context")
	}
}

func TestFollowSendsHeartbeats(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &syncWriter{}
	go func() {
		_ = Stream(ctx, w, nil, Options{Dir: dir, Task: "web", Type: "stdout", Follow: true,
			Poll: 5 * time.Millisecond, Heartbeat: 10 * time.Millisecond})
	}()
	waitUntil(t, func() bool { return strings.Contains(w.String(), "{}") })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
