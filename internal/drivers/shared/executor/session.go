package executor

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/wharf-project/wharf/internal/drivers"
)

// Exec session tuning.
const (
	// execDrainTimeout bounds how long a session waits for the command's
	// output to drain once the command has exited and its process group
	// was killed (a process that left the group may still hold the output
	// open).
	execDrainTimeout = 2 * time.Second
	// DefaultInterruptGrace is how long a command sent its Interrupt has
	// to exit before its process group is killed.
	DefaultInterruptGrace = 2 * time.Second
)

// defaultSize is a terminal's size until the session asks for another.
var defaultSize = drivers.TerminalSize{Height: 24, Width: 80}

// Command is what an exec session runs.
type Command struct {
	// Cmd has its path, arguments, environment, directory and credential
	// set; the session sets its stdio and makes it a process group leader
	// (of a new session on a terminal).
	Cmd *exec.Cmd
	// Interrupt, when set, marks a command that passes signals on to what
	// it runs and owns its process group (runc exec: killing it would
	// orphan the command in the jail). Cut short (ctx or the task ended),
	// it is sent Interrupt, and killed alone once it has not exited
	// within InterruptGrace; its process group is left to it. Without
	// Interrupt the session kills the command's whole process group when
	// it is cut short and when it exits.
	Interrupt      os.Signal
	InterruptGrace time.Duration
}

// Exec runs the command build makes from a running task, wired to opts's
// streams: pipes, or with opts.Tty a pseudo-terminal whose size follows
// opts.Resize. The command runs in its own process group (its own session
// on a terminal), which is killed when the command exits, when ctx ends or
// when the task ends, so nothing it started outlives the session.
func (e *Executor) Exec(ctx context.Context, id string, opts *drivers.ExecOptions, build func(*Task) (*Command, error)) (*drivers.ExitResult, error) {
	t, err := e.Get(id)
	if err != nil {
		return nil, err
	}
	if t.Ended() {
		return nil, fmt.Errorf("%s: exec in %s: task has exited", e.opts.Label, id)
	}
	if opts == nil || len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, fmt.Errorf("%s: exec in %s: no command given", e.opts.Label, id)
	}
	c, err := build(t)
	if err != nil {
		return nil, fmt.Errorf("%s: exec in %s: %w", e.opts.Label, id, err)
	}
	res, err := RunSession(ctx, c, opts, t.done)
	if err != nil {
		return nil, fmt.Errorf("%s: exec in %s: %w", e.opts.Label, id, err)
	}
	return res, nil
}

// RunSession runs c wired to opts's streams (see Exec) and returns its
// exit; it cuts the command short when ctx ends or end is closed. The
// error is the command's failure to start.
func RunSession(ctx context.Context, c *Command, opts *drivers.ExecOptions, end <-chan struct{}) (*drivers.ExitResult, error) {
	if c.Cmd.SysProcAttr == nil {
		c.Cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	var s *session
	var err error
	if opts.Tty {
		s, err = startTty(c.Cmd, opts)
	} else {
		s, err = startPipes(c.Cmd, opts)
	}
	if err != nil {
		return nil, err
	}
	s.interrupt, s.grace = c.Interrupt, c.InterruptGrace
	if s.grace <= 0 {
		s.grace = DefaultInterruptGrace
	}
	return s.wait(ctx, end), nil
}

// session is a started exec command and the goroutines copying its
// output.
type session struct {
	cmd       *exec.Cmd
	interrupt os.Signal
	grace     time.Duration
	copies    sync.WaitGroup
	closers   []io.Closer // read ends of the output, closed at the end
	cleanup   func()      // after the command ended (stops stdin, resize), before drain
}

// startPipes starts cmd with pipes for stdin, stdout and stderr, in a new
// process group. When opts.Stdout and opts.Stderr are the same writer
// (as with os/exec), both go through one pipe, so one goroutine writes to
// it, in the order the command wrote.
func startPipes(cmd *exec.Cmd, opts *drivers.ExecOptions) (*session, error) {
	cmd.SysProcAttr.Setpgid = true
	s := &session{cmd: cmd}
	var files []*os.File // every end, closed on error
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		files = append(files, r, w)
		return r, w, err
	}
	fail := func(err error) (*session, error) {
		closeAll(files...)
		return nil, err
	}
	inR, inW, err := pipe()
	if err != nil {
		return fail(err)
	}
	outR, outW, err := pipe()
	if err != nil {
		return fail(err)
	}
	errR, errW := outR, outW
	if !sameWriter(opts.Stdout, opts.Stderr) {
		if errR, errW, err = pipe(); err != nil {
			return fail(err)
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	closeAll(inR, outW, errW)
	s.closers = []io.Closer{outR}
	s.copyOut(opts.Stdout, outR)
	if errR != outR {
		s.closers = append(s.closers, errR)
		s.copyOut(opts.Stderr, errR)
	}
	s.cleanup = feedStdin(inW, opts.Stdin, nil)
	return s, nil
}

// sameWriter reports whether a and b are the same comparable writer.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a != nil && a == b
}

// startTty starts cmd on a new pseudo-terminal, in a new session with the
// terminal as its controlling terminal and owned by the command's user.
// The terminal starts at the latest size already waiting in opts.Resize,
// else at 24x80.
func startTty(cmd *exec.Cmd, opts *drivers.ExecOptions) (*session, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open a terminal: %w", err)
	}
	defer tty.Close()
	size, ok := latestSize(opts.Resize)
	if !ok {
		size = defaultSize
	}
	_ = pty.Setsize(master, winsize(size))
	if cred := cmd.SysProcAttr.Credential; cred != nil {
		_ = tty.Chown(int(cred.Uid), -1)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, err
	}
	s := &session{cmd: cmd, closers: []io.Closer{master}}
	s.copyOut(opts.Stdout, master)
	stopStdin := feedStdin(master, opts.Stdin, []byte{4})
	stopResize := followResize(master, opts.Resize)
	s.cleanup = func() { stopStdin(); stopResize() }
	return s, nil
}

// copyOut copies r to w (discarding when w is nil) until r ends.
func (s *session) copyOut(w io.Writer, r io.Reader) {
	if w == nil {
		w = io.Discard
	}
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		_, _ = io.Copy(w, r)
	}()
}

// wait waits for the command's exit, cutting it short when ctx ends or
// end is closed, then kills what is left of its process group (unless the
// command owns it, having an Interrupt) and lets the output drain.
func (s *session) wait(ctx context.Context, end <-chan struct{}) *drivers.ExitResult {
	pid := s.cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-end:
		case <-exited:
			return
		}
		s.cut(pid, exited)
	}()
	err := s.cmd.Wait()
	close(exited)
	if s.interrupt == nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	s.cleanup()
	s.drain()
	return execResult(s.cmd.ProcessState, err)
}

// cut ends a command early: SIGKILL to its process group or, when it has
// an Interrupt, that signal to the command alone, then SIGKILL to it
// unless it exits within the grace.
func (s *session) cut(pid int, exited <-chan struct{}) {
	if s.interrupt == nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return
	}
	_ = s.cmd.Process.Signal(s.interrupt)
	select {
	case <-exited:
	case <-time.After(s.grace):
		_ = s.cmd.Process.Kill()
	}
}

// drain waits for the output copies to end, closing the output's read
// ends when they take longer than execDrainTimeout.
func (s *session) drain() {
	done := make(chan struct{})
	go func() { s.copies.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(execDrainTimeout):
	}
	for _, c := range s.closers {
		_ = c.Close()
	}
	<-done
}

// execResult converts the command's end.
func execResult(ps *os.ProcessState, err error) *drivers.ExitResult {
	if ps == nil {
		return &drivers.ExitResult{ExitCode: -1, Err: err}
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return &drivers.ExitResult{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return &drivers.ExitResult{ExitCode: ps.ExitCode()}
}

// feedStdin copies in to w in the background; at in's EOF it writes eof
// (^D for a terminal) or, when eof is nil, closes w. The returned func
// stops the feeding (closing w when it owns it); a copy blocked in in's
// Read ends at that Read's return.
func feedStdin(w *os.File, in io.Reader, eof []byte) func() {
	if in == nil {
		in = eofReader{}
	}
	var once sync.Once
	closeW := func() {
		if eof == nil {
			once.Do(func() { _ = w.Close() })
		}
	}
	go func() {
		_, err := io.Copy(w, in)
		if err == nil && eof != nil {
			_, _ = w.Write(eof)
		}
		closeW()
	}()
	return closeW
}

// eofReader is an empty stdin.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// followResize applies the sizes sent on ch to the terminal until the
// returned func is called; that func returns once no resize can happen
// any more (the terminal may then be closed). An empty size is ignored.
func followResize(master *os.File, ch <-chan drivers.TerminalSize) func() {
	if ch == nil {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case size, ok := <-ch:
				if !ok {
					return
				}
				if size.Height > 0 && size.Width > 0 {
					_ = pty.Setsize(master, winsize(size))
				}
			case <-stop:
				return
			}
		}
	}()
	return func() { close(stop); <-done }
}

// latestSize takes every size already waiting on ch and returns the last
// that is not empty.
func latestSize(ch <-chan drivers.TerminalSize) (drivers.TerminalSize, bool) {
	var last drivers.TerminalSize
	got := false
	for ch != nil {
		select {
		case s, ok := <-ch:
			if !ok {
				return last, got
			}
			if s.Height > 0 && s.Width > 0 {
				last, got = s, true
			}
		default:
			return last, got
		}
	}
	return last, got
}

func winsize(s drivers.TerminalSize) *pty.Winsize {
	return &pty.Winsize{Rows: uint16(min(s.Height, 0xffff)), Cols: uint16(min(s.Width, 0xffff))}
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}
