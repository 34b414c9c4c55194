package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/client/allocrunner"
	"github.com/wharf-project/wharf/internal/client/taskrunner"
	"github.com/wharf-project/wharf/internal/drivers"
)

// Exec session tuning.
const (
	// execPingInterval is how often the node pings the peer of an exec
	// session; the pings keep idle sessions (and proxies between) alive.
	execPingInterval = 20 * time.Second
	// execPongTimeout is how long a ping may go unanswered before the
	// session is taken as dead and its command killed.
	execPongTimeout = 2 * time.Minute
	// execReadLimit bounds one input frame.
	execReadLimit = 1 << 20
	// execStdinFrames is how many stdin frames wait for the command before
	// reading from the peer stops.
	execStdinFrames = 1024
	// maxCloseReason is the longest reason a close frame carries.
	maxCloseReason = 123
)

// execRequest is a parsed exec request.
type execRequest struct {
	tr      *taskrunner.TaskRunner
	command []string
	tty     bool
}

// execRoutes registers the exec websocket.
func (c *Client) execRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/client/allocation/{alloc}/exec", c.serveExec)
}

// serveExec runs a command in a task over a websocket, in Nomad's frame
// format: query parameters task, command (a JSON list) and tty. Problems
// found before the upgrade are HTTP errors; later ones close the
// websocket with the reason.
func (c *Client) serveExec(w http.ResponseWriter, r *http.Request) {
	req, status, err := c.parseExec(r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{remote.ExecSubprotocol}})
	if err != nil {
		return // Accept has answered
	}
	conn.SetReadLimit(execReadLimit)
	newExecSession(r.Context(), conn).run(req)
}

// parseExec checks the request and finds the task; on error it returns
// the HTTP status that fits.
func (c *Client) parseExec(r *http.Request) (*execRequest, int, error) {
	q := r.URL.Query()
	var command []string
	if err := json.Unmarshal([]byte(q.Get("command")), &command); err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("query parameter \"command\": not a JSON list of strings: %w", err)
	}
	if len(command) == 0 || command[0] == "" {
		return nil, http.StatusBadRequest, errors.New("query parameter \"command\": no command given")
	}
	tty := false
	if v := q.Get("tty"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("query parameter \"tty\": %w", err)
		}
		tty = b
	}
	id := r.PathValue("alloc")
	ar := c.AllocRunner(id)
	if ar == nil || ar.IsDestroyed() {
		return nil, http.StatusNotFound, fmt.Errorf("unknown allocation %s on this node", id)
	}
	tr, err := execTask(ar, q.Get("task"))
	if err != nil {
		return nil, http.StatusNotFound, err
	}
	if err := tr.CanExec(); err != nil {
		if errors.Is(err, taskrunner.ErrExecNotSupported) {
			return nil, http.StatusBadRequest, err
		}
		return nil, http.StatusConflict, err
	}
	return &execRequest{tr: tr, command: command, tty: tty}, 0, nil
}

// execTask returns the task named name, or the allocation's only task
// when name is empty.
func execTask(ar *allocrunner.AllocRunner, name string) (*taskrunner.TaskRunner, error) {
	if name != "" {
		tasks, err := pickTasks(ar, name)
		if err != nil {
			return nil, err
		}
		return tasks[0], nil
	}
	tasks := ar.Tasks()
	if len(tasks) != 1 {
		return nil, fmt.Errorf("query parameter \"task\": the allocation has %d tasks, name one: %w", len(tasks), errNoTask)
	}
	return tasks[0], nil
}

// execSession is one exec websocket: it feeds input frames to the command
// and sends its output as frames.
type execSession struct {
	ctx    context.Context
	cancel context.CancelFunc
	conn   *websocket.Conn
	stdin  *frameReader
	resize chan drivers.TerminalSize
	// dead is set when the peer went away (read, write or ping failed).
	deadMu sync.Mutex
	dead   error
}

func newExecSession(parent context.Context, conn *websocket.Conn) *execSession {
	ctx, cancel := context.WithCancel(parent)
	return &execSession{ctx: ctx, cancel: cancel, conn: conn,
		stdin: newFrameReader(execStdinFrames), resize: make(chan drivers.TerminalSize, 8)}
}

// run runs the command until it exits, or until the peer goes away (which
// kills it), and ends the websocket.
func (s *execSession) run(req *execRequest) {
	defer s.cancel()
	go s.readInput()
	go s.keepAlive()
	res, err := req.tr.Exec(s.ctx, &drivers.ExecOptions{
		Command: req.command, Tty: req.tty, Stdin: s.stdin,
		Stdout: frameWriter{s, "stdout"}, Stderr: frameWriter{s, "stderr"}, Resize: s.resize,
	})
	s.stdin.stop()
	if s.peerGone() != nil {
		_ = s.conn.CloseNow()
		return
	}
	if err != nil {
		s.fail(err)
		return
	}
	code := res.ExitCode
	if res.Err != nil {
		s.fail(res.Err)
		return
	}
	if err := s.send(&api.ExecOutput{Exited: true, Result: &api.ExecExit{ExitCode: code}}); err != nil {
		_ = s.conn.CloseNow()
		return
	}
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
}

// fail ends the session with err: the whole text as stderr when it does
// not fit a close frame, and a close frame with the (shortened) reason.
func (s *execSession) fail(err error) {
	msg := err.Error()
	reason := closeReason(msg)
	if reason != msg {
		_ = s.send(&api.ExecOutput{Stderr: &api.ExecIO{Data: []byte(msg + "\n")}})
	}
	_ = s.conn.Close(websocket.StatusInternalError, reason)
}

// closeReason shortens msg to what a close frame carries, on a rune
// boundary.
func closeReason(msg string) string {
	if len(msg) <= maxCloseReason {
		return msg
	}
	cut := maxCloseReason - len("...")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "..."
}

// readInput decodes input frames until the peer closes or goes away.
func (s *execSession) readInput() {
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			s.gone(fmt.Errorf("read input: %w", err))
			return
		}
		if typ != websocket.MessageText && typ != websocket.MessageBinary {
			continue
		}
		var in api.ExecInput
		if err := json.Unmarshal(data, &in); err != nil {
			s.gone(fmt.Errorf("decode input frame: %w", err))
			_ = s.conn.Close(websocket.StatusUnsupportedData, closeReason("invalid input frame: "+err.Error()))
			return
		}
		s.apply(&in)
	}
}

// apply hands one input frame to the command.
func (s *execSession) apply(in *api.ExecInput) {
	if in.Stdin != nil {
		if len(in.Stdin.Data) > 0 {
			s.stdin.push(in.Stdin.Data)
		}
		if in.Stdin.Close {
			s.stdin.closeInput()
		}
	}
	if in.TTYSize != nil {
		s.pushSize(drivers.TerminalSize{Height: in.TTYSize.Height, Width: in.TTYSize.Width})
	}
}

// pushSize queues a terminal size; when the queue is full the oldest size
// is dropped (only the latest matters).
func (s *execSession) pushSize(size drivers.TerminalSize) {
	for {
		select {
		case s.resize <- size:
			return
		default:
		}
		select {
		case <-s.resize:
		default:
		}
	}
}

// keepAlive pings the peer until the session ends; a ping that goes
// unanswered for execPongTimeout ends the session.
func (s *execSession) keepAlive() {
	t := time.NewTicker(execPingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(s.ctx, execPongTimeout)
		err := s.conn.Ping(ctx)
		cancel()
		if err != nil && s.ctx.Err() == nil {
			s.gone(fmt.Errorf("ping: %w", err))
			return
		}
	}
}

// send writes one output frame.
func (s *execSession) send(out *api.ExecOutput) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := s.conn.Write(s.ctx, websocket.MessageText, b); err != nil {
		s.gone(fmt.Errorf("write output: %w", err))
		return err
	}
	return nil
}

// gone records that the peer went away and kills the command.
func (s *execSession) gone(err error) {
	s.deadMu.Lock()
	if s.dead == nil {
		s.dead = err
	}
	s.deadMu.Unlock()
	s.cancel()
}

// peerGone returns why the peer went away, or nil.
func (s *execSession) peerGone() error {
	s.deadMu.Lock()
	defer s.deadMu.Unlock()
	return s.dead
}

// frameWriter sends what the command writes as frames of one stream.
type frameWriter struct {
	s      *execSession
	stream string
}

// Write sends p as one frame.
func (w frameWriter) Write(p []byte) (int, error) {
	op := &api.ExecIO{Data: p}
	out := &api.ExecOutput{Stdout: op}
	if w.stream == "stderr" {
		out = &api.ExecOutput{Stderr: op}
	}
	if err := w.s.send(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// frameReader is the command's stdin: the data of stdin frames, in order.
// It reads io.EOF after the peer closed stdin or the session stopped.
type frameReader struct {
	frames chan []byte
	done   chan struct{}
	buf    []byte

	closeOnce sync.Once
	stopOnce  sync.Once
}

func newFrameReader(n int) *frameReader {
	return &frameReader{frames: make(chan []byte, n), done: make(chan struct{})}
}

// push queues data; it blocks while the queue is full, until the session
// stops.
func (f *frameReader) push(data []byte) {
	if f.stopped() {
		return
	}
	select {
	case f.frames <- data:
	case <-f.done:
	}
}

// closeInput marks the end of stdin after the data already queued. Data
// pushed later is dropped.
func (f *frameReader) closeInput() {
	f.closeOnce.Do(func() { f.push(nil) })
}

// stop ends the reader at once.
func (f *frameReader) stop() {
	f.stopOnce.Do(func() { close(f.done) })
}

// stopped reports whether stop was called.
func (f *frameReader) stopped() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// Read returns queued stdin data; io.EOF once stdin was closed or the
// reader stopped.
func (f *frameReader) Read(p []byte) (int, error) {
	if f.stopped() {
		return 0, io.EOF
	}
	if len(f.buf) == 0 {
		select {
		case b := <-f.frames:
			if b == nil {
				f.stop()
				return 0, io.EOF
			}
			f.buf = b
		case <-f.done:
			return 0, io.EOF
		}
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}
