package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/creack/pty"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// execFake is the fake driver plus an ExecTask that runs the command on
// the host (pipes, or a pseudo-terminal with Tty).
type execFake struct {
	*fake.Driver
	killed atomic.Int32 // commands ended by their context
}

var _ drivers.Execer = (*execFake)(nil)

func (d *execFake) ExecTask(ctx context.Context, taskID string, o *drivers.ExecOptions) (*drivers.ExitResult, error) {
	if _, err := d.InspectTask(ctx, taskID); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(o.Command[0])
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: o.Command}
	var master io.ReadWriteCloser
	if o.Tty {
		f, err := pty.Start(cmd)
		if err != nil {
			return nil, err
		}
		master = f
		resizing, stopResize := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(resizing)
			for {
				select {
				case s := <-o.Resize:
					_ = pty.Setsize(f, &pty.Winsize{Rows: uint16(s.Height), Cols: uint16(s.Width)})
				case <-stopResize:
					return
				}
			}
		}()
		defer func() { close(stopResize); <-resizing; f.Close() }()
		go func() { _, _ = io.Copy(f, o.Stdin) }()
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
		cmd.WaitDelay = time.Second
		if err := cmd.Start(); err != nil {
			return nil, err
		}
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		if master != nil {
			_, _ = io.Copy(o.Stdout, master)
		}
	}()
	stop := context.AfterFunc(ctx, func() { d.killed.Add(1); _ = cmd.Process.Kill() })
	defer stop()
	_ = cmd.Wait()
	if master != nil {
		<-copied
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return &drivers.ExitResult{ExitCode: ws.ExitStatus(), Signal: int(ws.Signal())}, nil
}

// execNode runs a server and a client on driver d, whose node serves its
// API on an httptest server (the server proxies /v1/client/ requests to
// it), with one running task "web"; it returns the server's URL and the
// allocation ID.
func execNode(t *testing.T, d drivers.Driver) (string, string) {
	t.Helper()
	ts := startServer(t, nil, nil)
	var handler atomic.Value
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(func() { node.CloseClientConnections(); node.Close() })
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, func(cfg *Config) {
		cfg.HTTPAddr = strings.TrimPrefix(node.URL, "http://")
	})
	handler.Store(c.Handler())
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 1, map[string]any{}))
	a := ts.waitAllocs("web", 1, structs.AllocClientStatusRunning)[0]
	return ts.http.URL, a.ID
}

// execURL is the websocket URL of an exec.
func execURL(base, alloc, task string, command []string, tty bool) string {
	cmd, _ := json.Marshal(command)
	q := url.Values{"task": {task}, "command": {string(cmd)}, "tty": {map[bool]string{true: "true", false: "false"}[tty]}}
	return strings.Replace(base, "http://", "ws://", 1) + "/v1/client/allocation/" + alloc + "/exec?" + q.Encode()
}

// execResult is what a test session received.
type execResult struct {
	stdout, stderr strings.Builder
	exit           *int
	closeErr       error
}

// readSession reads output frames until the exit frame or the close.
func readSession(t *testing.T, ctx context.Context, conn *websocket.Conn, until func(*execResult) bool) *execResult {
	t.Helper()
	res := &execResult{}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			res.closeErr = err
			return res
		}
		var out api.ExecOutput
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("bad frame %s: %v", data, err)
		}
		switch {
		case out.Stdout != nil:
			res.stdout.Write(out.Stdout.Data)
		case out.Stderr != nil:
			res.stderr.Write(out.Stderr.Data)
		case out.Exited && out.Result != nil:
			res.exit = &out.Result.ExitCode
			return res
		}
		if until != nil && until(res) {
			return res
		}
	}
}

func sendFrame(t *testing.T, ctx context.Context, conn *websocket.Conn, raw string) {
	t.Helper()
	if err := conn.Write(ctx, websocket.MessageText, []byte(raw)); err != nil {
		t.Fatal(err)
	}
}

func TestExecThroughServerProxy(t *testing.T) {
	base, alloc := execNode(t, &execFake{Driver: fake.New()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := execURL(base, alloc, "web", []string{"/bin/sh", "-c", `echo hello-$((6*7)); cat; echo oops >&2; exit 3`}, false)
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	sendFrame(t, ctx, conn, `{"stdin":{"data":"`+b64("typed\n")+`"}}`)
	sendFrame(t, ctx, conn, `{}`) // a heartbeat, as Nomad's client sends
	sendFrame(t, ctx, conn, `{"stdin":{"close":true}}`)
	res := readSession(t, ctx, conn, nil)
	if res.exit == nil || *res.exit != 3 {
		t.Fatalf("exit %v (close: %v), want 3", res.exit, res.closeErr)
	}
	if res.stdout.String() != "hello-42\ntyped\n" || res.stderr.String() != "oops\n" {
		t.Errorf("stdout %q stderr %q", res.stdout.String(), res.stderr.String())
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("after the exit: %v, want a normal close", err)
	}
}

func TestExecTtyResize(t *testing.T) {
	base, alloc := execNode(t, &execFake{Driver: fake.New()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, execURL(base, alloc, "web", []string{"/bin/sh"}, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	sendFrame(t, ctx, conn, `{"tty_size":{"height":27,"width":91}}`)
	// The size is applied while stdin flows: ask a little later, and read
	// on one context (a timed-out read closes the websocket).
	sendFrame(t, ctx, conn, `{"stdin":{"data":"`+b64("sleep 0.3; stty size; exit\n")+`"}}`)
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	res := readSession(t, rctx, conn, func(r *execResult) bool { return strings.Contains(r.stdout.String(), "27 91") })
	if !strings.Contains(res.stdout.String(), "27 91") {
		t.Fatalf("stty size never printed 27 91: %q", res.stdout.String())
	}
}

func TestExecRefusals(t *testing.T) {
	base, alloc := execNode(t, &execFake{Driver: fake.New()})
	tests := []struct {
		name   string
		rawURL string
		status int
		want   string
	}{
		{"unknown allocation", execURL(base, "00000000-0000-0000-0000-000000000000", "web", []string{"true"}, false), 404, "not found"},
		{"unknown task", execURL(base, alloc, "nosuch", []string{"true"}, false), 404, "no such task"},
		{"no command", execURL(base, alloc, "web", []string{}, false), 400, "no command given"},
		{"command not JSON", strings.Replace(execURL(base, alloc, "web", []string{"x"}, false), "command=", "command=x", 1), 400, "not a JSON list"},
		{"bad tty", strings.Replace(execURL(base, alloc, "web", []string{"true"}, false), "tty=false", "tty=maybe", 1), 400, "tty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.Dial(context.Background(), tt.rawURL, nil)
			if err == nil || resp == nil {
				t.Fatalf("dial: %v, want refusal", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

func TestExecDriverWithoutExecer(t *testing.T) {
	base, alloc := execNode(t, fake.New())
	_, resp, err := websocket.Dial(context.Background(), execURL(base, alloc, "web", []string{"true"}, false), nil)
	if err == nil || resp == nil {
		t.Fatalf("dial: %v, want refusal", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "does not support exec") {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}
}

func TestExecErrorAfterUpgradeClosesWithReason(t *testing.T) {
	base, alloc := execNode(t, &execFake{Driver: fake.New()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, execURL(base, alloc, "web", []string{"wharf-nosuch-command"}, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	res := readSession(t, ctx, conn, nil)
	var ce websocket.CloseError
	if !errors.As(res.closeErr, &ce) || ce.Code != websocket.StatusInternalError || !strings.Contains(ce.Reason, "wharf-nosuch-command") {
		t.Errorf("close: %v, want an internal error naming the command", res.closeErr)
	}
}

func TestExecPeerGoneKillsCommand(t *testing.T) {
	d := &execFake{Driver: fake.New()}
	base, alloc := execNode(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, execURL(base, alloc, "web", []string{"/bin/sh", "-c", "echo started; exec sleep 1000"}, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	readSession(t, ctx, conn, func(r *execResult) bool { return strings.Contains(r.stdout.String(), "started") })
	_ = conn.Close(websocket.StatusNormalClosure, "bye")
	waitFor(t, "the command killed", func() bool { return d.killed.Load() == 1 })
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

func TestExecFrameFormat(t *testing.T) {
	outs := []struct {
		frame api.ExecOutput
		want  string
	}{
		{api.ExecOutput{Stdout: &api.ExecIO{Data: []byte("hi")}}, `{"stdout":{"data":"aGk="}}`},
		{api.ExecOutput{Stderr: &api.ExecIO{Data: []byte("no")}}, `{"stderr":{"data":"bm8="}}`},
		{api.ExecOutput{Exited: true, Result: &api.ExecExit{ExitCode: 0}}, `{"exited":true,"result":{"exit_code":0}}`},
	}
	for _, tt := range outs {
		b, err := json.Marshal(&tt.frame)
		if err != nil || string(b) != tt.want {
			t.Errorf("marshal = %s, %v; want %s", b, err, tt.want)
		}
	}
	ins := []struct {
		raw  string
		want api.ExecInput
	}{
		{`{"stdin":{"data":"aGk="}}`, api.ExecInput{Stdin: &api.ExecIO{Data: []byte("hi")}}},
		{`{"stdin":{"close":true}}`, api.ExecInput{Stdin: &api.ExecIO{Close: true}}},
		{`{"tty_size":{"height":24,"width":80}}`, api.ExecInput{TTYSize: &api.TerminalSize{Height: 24, Width: 80}}},
		{`{}`, api.ExecInput{}},
	}
	for _, tt := range ins {
		var got api.ExecInput
		if err := json.Unmarshal([]byte(tt.raw), &got); err != nil {
			t.Fatalf("%s: %v", tt.raw, err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(tt.want)
		if string(gb) != string(wb) {
			t.Errorf("%s decoded to %s, want %s", tt.raw, gb, wb)
		}
	}
}

func TestCloseReason(t *testing.T) {
	long := strings.Repeat("é", 100)
	tests := []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("a", 123), strings.Repeat("a", 123)},
		{strings.Repeat("a", 124), strings.Repeat("a", 120) + "..."},
		{long, strings.Repeat("é", 60) + "..."},
	}
	for _, tt := range tests {
		if got := closeReason(tt.in); got != tt.want || len(got) > maxCloseReason {
			t.Errorf("closeReason(%d bytes) = %q", len(tt.in), got)
		}
	}
}

func TestFrameReader(t *testing.T) {
	f := newFrameReader(4)
	f.push([]byte("ab"))
	f.push([]byte("cde"))
	f.closeInput()
	f.push([]byte("dropped"))
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "abcde" {
		t.Errorf("read %q, %v", got, err)
	}
	g := newFrameReader(1)
	g.stop()
	g.push([]byte("x")) // does not block after stop
	if n, err := g.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after stop: %d, %v", n, err)
	}
}
