package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Exec session tuning.
const (
	// execHeartbeat is how often AllocExec sends an empty frame, as
	// Nomad's client does, so idle sessions stay open through proxies.
	execHeartbeat = 10 * time.Second
	// execReadLimit bounds one output frame (the node sends up to 32 KiB
	// of output per frame, base64-encoded).
	execReadLimit = 16 << 20
	// execStdinChunk is the most stdin bytes sent in one frame.
	execStdinChunk = 2048
)

// ErrExecClosed is matched by the error of a session that ended without
// the command's exit code.
var ErrExecClosed = errors.New("exec session closed before the command exited")

// AllocExec runs cmd in task of an allocation over the exec websocket
// (GET /v1/client/allocation/:id/exec, proxied by the server to the node)
// and returns the command's exit code. stdin (nil for none) is sent as it
// is read, and closed at its EOF; with tty the command runs on a terminal
// whose size follows resize (nil for a fixed size), and all its output
// goes to stdout. Errors found before the command runs are *Error values
// with the node's status; a session the node ends with a reason returns
// that reason. ctx ending ends the session (and kills the command). A
// stdin Read blocked when the session ends is left to return on its own.
func (c *Client) AllocExec(ctx context.Context, allocID, task string, cmd []string, tty bool,
	stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := c.dialExec(ctx, allocID, task, cmd, tty)
	if err != nil {
		return -1, err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(execReadLimit)
	sendErr := make(chan error, 1)
	go sendStdin(ctx, conn, stdin, sendErr)
	go sendSizes(ctx, conn, resize)
	go heartbeat(ctx, conn)
	code, err := receiveOutput(ctx, conn, stdout, stderr)
	if err != nil {
		select {
		case e := <-sendErr:
			return -1, fmt.Errorf("exec: read stdin: %w", e)
		default:
		}
		return -1, err
	}
	_ = conn.Close(websocket.StatusNormalClosure, "")
	return code, nil
}

// dialExec opens the websocket; a refusal becomes an *Error.
func (c *Client) dialExec(ctx context.Context, allocID, task string, cmd []string, tty bool) (*websocket.Conn, error) {
	command, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("exec: encode command: %w", err)
	}
	r := c.newRequest(http.MethodGet, "/v1/client/allocation/"+escape(allocID)+"/exec")
	r.ctx = ctx
	r.params.Set("task", task)
	r.params.Set("command", string(command))
	r.params.Set("tty", strconv.FormatBool(tty))
	req, err := c.httpRequest(r)
	if err != nil {
		return nil, err
	}
	u := *req.URL
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.http, HTTPHeader: req.Header})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, newError(r.method, r.path, resp)
		}
		return nil, fmt.Errorf("exec: connect to %s: %w", r.path, err)
	}
	return conn, nil
}

// sendFrame writes one input frame.
func sendFrame(ctx context.Context, conn *websocket.Conn, in *ExecInput) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return conn.Write(ctx, websocket.MessageText, b)
}

// sendStdin sends stdin as frames and closes it at EOF; a read error
// other than EOF goes to errCh and ends the session.
func sendStdin(ctx context.Context, conn *websocket.Conn, stdin io.Reader, errCh chan<- error) {
	if stdin == nil {
		_ = sendFrame(ctx, conn, &ExecInput{Stdin: &ExecIO{Close: true}})
		return
	}
	buf := make([]byte, execStdinChunk)
	for ctx.Err() == nil {
		n, err := stdin.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if sendFrame(ctx, conn, &ExecInput{Stdin: &ExecIO{Data: data}}) != nil {
				return
			}
		}
		if errors.Is(err, io.EOF) {
			_ = sendFrame(ctx, conn, &ExecInput{Stdin: &ExecIO{Close: true}})
			return
		}
		if err != nil {
			errCh <- err
			_ = conn.Close(websocket.StatusGoingAway, "stdin failed")
			return
		}
	}
}

// sendSizes sends each terminal size until ctx ends or resize closes.
func sendSizes(ctx context.Context, conn *websocket.Conn, resize <-chan TerminalSize) {
	if resize == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-resize:
			if !ok {
				return
			}
			if sendFrame(ctx, conn, &ExecInput{TTYSize: &s}) != nil {
				return
			}
		}
	}
}

// heartbeat sends an empty frame every execHeartbeat until ctx ends.
func heartbeat(ctx context.Context, conn *websocket.Conn) {
	t := time.NewTicker(execHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if sendFrame(ctx, conn, &ExecInput{}) != nil {
				return
			}
		}
	}
}

// receiveOutput writes output frames to stdout and stderr until the exit
// frame, and returns the exit code.
func receiveOutput(ctx context.Context, conn *websocket.Conn, stdout, stderr io.Writer) (int, error) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return -1, closeError(ctx, err)
		}
		var out ExecOutput
		if err := json.Unmarshal(data, &out); err != nil {
			return -1, fmt.Errorf("exec: decode output frame: %w", err)
		}
		switch {
		case out.Exited && out.Result != nil:
			return out.Result.ExitCode, nil
		case out.Stdout != nil && stdout != nil:
			_, _ = stdout.Write(out.Stdout.Data)
		case out.Stderr != nil && stderr != nil:
			_, _ = stderr.Write(out.Stderr.Data)
		}
	}
}

// closeError says why the session ended without an exit code: the node's
// reason when it gave one.
func closeError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) && ce.Reason != "" {
		return fmt.Errorf("%w: %s", ErrExecClosed, ce.Reason)
	}
	return fmt.Errorf("%w: %w", ErrExecClosed, err)
}
