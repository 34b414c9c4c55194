package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoExec is a node's exec endpoint in miniature: it checks the query,
// echoes stdin to stdout (upper-cased to stderr), reports each terminal
// size on stdout, and exits with 7 once stdin is closed.
func echoExec(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/v1/client/allocation/a1/exec" || q.Get("task") != "web" ||
			q.Get("command") != `["/bin/sh","-c","x"]` || q.Get("tty") != "true" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusNotFound)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		send := func(out ExecOutput) {
			b, _ := json.Marshal(out)
			_ = conn.Write(ctx, websocket.MessageText, b)
		}
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var in ExecInput
			if err := json.Unmarshal(data, &in); err != nil {
				t.Errorf("bad input frame %s", data)
				return
			}
			switch {
			case in.TTYSize != nil:
				send(ExecOutput{Stdout: &ExecIO{Data: []byte("size " + itoa(in.TTYSize.Height) + "x" + itoa(in.TTYSize.Width) + "\n")}})
			case in.Stdin != nil && in.Stdin.Close:
				send(ExecOutput{Exited: true, Result: &ExecExit{ExitCode: 7}})
				_ = conn.Close(websocket.StatusNormalClosure, "")
				return
			case in.Stdin != nil:
				send(ExecOutput{Stdout: &ExecIO{Data: in.Stdin.Data}})
				send(ExecOutput{Stderr: &ExecIO{Data: []byte(strings.ToUpper(string(in.Stdin.Data)))}})
			}
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestAllocExec(t *testing.T) {
	srv := httptest.NewServer(echoExec(t))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resize := make(chan TerminalSize, 1)
	resize <- TerminalSize{Height: 24, Width: 80}
	// stdin waits for the size's echo so the output's order is known.
	stdinR, stdinW := io.Pipe()
	var stdout, stderr syncWriter
	stdout.onWrite = func(s string) {
		if s == "size 24x80\n" {
			go func() { _, _ = io.WriteString(stdinW, "hello"); stdinW.Close() }()
		}
	}
	code, err := c.AllocExec(ctx, "a1", "web", []string{"/bin/sh", "-c", "x"}, true, stdinR, &stdout, &stderr, resize)
	if err != nil || code != 7 {
		t.Fatalf("AllocExec = %d, %v; want 7", code, err)
	}
	if stdout.String() != "size 24x80\nhello" || stderr.String() != "HELLO" {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

func TestAllocExecRefused(t *testing.T) {
	srv := httptest.NewServer(echoExec(t))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	_, err := c.AllocExec(context.Background(), "nosuch", "web", []string{"true"}, false, nil, io.Discard, io.Discard, nil)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || !IsNotFound(err) || !strings.Contains(apiErr.Message, "unexpected request") {
		t.Errorf("err = %v, want the node's 404", err)
	}
}

func TestAllocExecClosedWithReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = conn.Close(websocket.StatusInternalError, `exec: "nosuch": executable file not found in $PATH`)
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	_, err := c.AllocExec(context.Background(), "a1", "web", []string{"nosuch"}, false, nil, io.Discard, io.Discard, nil)
	if !errors.Is(err, ErrExecClosed) || !strings.Contains(err.Error(), "executable file not found") {
		t.Errorf("err = %v, want the close reason", err)
	}
}

func TestExecFrames(t *testing.T) {
	tests := []struct {
		frame any
		want  string
	}{
		{&ExecInput{Stdin: &ExecIO{Data: []byte("ls\n")}}, `{"stdin":{"data":"bHMK"}}`},
		{&ExecInput{Stdin: &ExecIO{Close: true}}, `{"stdin":{"close":true}}`},
		{&ExecInput{TTYSize: &TerminalSize{Height: 24, Width: 80}}, `{"tty_size":{"height":24,"width":80}}`},
		{&ExecInput{}, `{}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.frame)
		if err != nil || string(b) != tt.want {
			t.Errorf("got %s, %v; want %s", b, err, tt.want)
		}
	}
}

// syncWriter collects writes and calls onWrite with each.
type syncWriter struct {
	b       strings.Builder
	onWrite func(string)
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.b.Write(p)
	if w.onWrite != nil {
		w.onWrite(string(p))
	}
	return len(p), nil
}

func (w *syncWriter) String() string { return w.b.String() }
