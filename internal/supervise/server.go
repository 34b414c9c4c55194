package supervise

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Operations a driver asks of a supervisor, one JSON request per
// connection, answered by one JSON response.
const (
	// opWait answers once the task has ended and its exit is recorded.
	opWait = "wait"
	// opStop sends Signal, kills the tree after Timeout, then answers as
	// opWait.
	opStop = "stop"
	// opSignal sends Signal to the task's main process.
	opSignal = "signal"
	// opStatus answers at once with the task's state.
	opStatus = "status"
)

// request is what the driver sends.
type request struct {
	Op      string        `json:"op"`
	Signal  int           `json:"signal,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// response is what the supervisor answers.
type response struct {
	Running bool   `json:"running"`
	TaskPID int    `json:"task_pid,omitempty"`
	Exit    *Exit  `json:"exit,omitempty"`
	Error   string `json:"error,omitempty"`
}

// server answers drivers on the state directory's unix socket.
type server struct {
	ln  net.Listener
	log *slog.Logger

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup
}

// listen opens the socket (replacing a stale one), readable by its owner
// only.
func listen(dir string, log *slog.Logger) (*server, error) {
	path := filepath.Join(dir, SocketFile)
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return &server{ln: ln, log: log}, nil
}

// serve answers connections until shutdown.
func (s *server) serve(t *task) {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.handlers.Done()
			s.handle(conn, t)
		}()
	}
}

// shutdown stops accepting, lets pending answers go out (for a while) and
// removes the socket.
func (s *server) shutdown(wait time.Duration) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.ln.Close()
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
	}
}

// handle reads one request and writes its answer. A client that hangs up
// while waiting gets no answer.
func (s *server) handle(conn net.Conn, t *task) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req request
	if err := json.NewDecoder(conn).Decode(&req); err != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		close(gone)
	}()
	resp := s.answer(req, t, gone)
	if resp == nil {
		return
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := json.NewEncoder(conn).Encode(resp); err != nil && !errors.Is(err, syscall.EPIPE) {
		s.log.Debug("answer driver", "op", req.Op, "err", err)
	}
}

// answer carries out a request.
func (s *server) answer(req request, t *task, gone <-chan struct{}) *response {
	switch req.Op {
	case opWait:
		return waitAnswer(t, gone)
	case opStop:
		t.stop(syscall.Signal(req.Signal), req.Timeout)
		return waitAnswer(t, gone)
	case opSignal:
		if err := t.signal(syscall.Signal(req.Signal)); err != nil {
			return &response{Error: err.Error()}
		}
		return &response{Running: true, TaskPID: t.pid}
	case opStatus:
		select {
		case <-t.done:
			return &response{TaskPID: t.pid, Exit: t.exit}
		default:
			return &response{Running: true, TaskPID: t.pid}
		}
	}
	return &response{Error: "unknown operation " + req.Op}
}

// waitAnswer answers once the exit is recorded, or nil if the client
// hung up first.
func waitAnswer(t *task, gone <-chan struct{}) *response {
	select {
	case <-t.done:
		return &response{TaskPID: t.pid, Exit: t.exit}
	case <-gone:
		return nil
	}
}
