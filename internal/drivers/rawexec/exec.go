package rawexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/supervise"
)

// execDrainTimeout bounds how long ExecTask waits for the command's output
// to drain once the command has exited and its process group was killed
// (a process that left the group may still hold the output open).
const execDrainTimeout = 2 * time.Second

// defaultPath is the PATH a command is looked up in when the task's
// environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var _ drivers.Execer = (*Driver)(nil)

// ExecTask runs opts.Command on the host beside a running task: with the
// task's environment, in its task directory and, when the agent runs as
// root, as the task's user. The command is looked up in the task's PATH.
// It runs in its own process group (its own session on a terminal), which
// is killed when the command exits, when ctx ends or when the task ends,
// so nothing it started outlives the session.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	t, err := d.get(taskID)
	if err != nil {
		return nil, err
	}
	if t.isDone() {
		return nil, fmt.Errorf("raw_exec: exec in %s: task has exited", taskID)
	}
	cmd, cred, err := execCommand(t.cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: exec in %s: %w", taskID, err)
	}
	var s *execSession
	if opts.Tty {
		s, err = startTty(cmd, cred, opts)
	} else {
		s, err = startPipes(cmd, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("raw_exec: exec in %s: %w", taskID, err)
	}
	return s.wait(ctx, t.done), nil
}

// execCommand builds the command: program resolved in the task's PATH,
// the task's environment and directory, and the task user's credential.
func execCommand(cfg *drivers.TaskConfig, opts *drivers.ExecOptions) (*exec.Cmd, *syscall.Credential, error) {
	if opts == nil || len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, nil, errors.New("no command given")
	}
	env := envList(cfg.Env)
	if opts.Tty && cfg.Env["TERM"] == "" {
		env = append(env, "TERM=xterm-256color")
	}
	prog, err := lookPath(opts.Command[0], cfg.Env["PATH"], cfg.TaskDir)
	if err != nil {
		return nil, nil, err
	}
	cred, err := supervise.Credential(cfg.User)
	if err != nil {
		return nil, nil, err
	}
	cmd := &exec.Cmd{Path: prog, Args: opts.Command, Env: env, Dir: cfg.TaskDir,
		SysProcAttr: &syscall.SysProcAttr{Credential: cred}}
	return cmd, cred, nil
}

// lookPath finds name in path (the task's PATH, defaultPath when empty);
// a name with a slash is taken as it is, relative to dir.
func lookPath(name, path, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return p, nil
	}
	if path == "" {
		path = defaultPath
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if p := filepath.Join(d, name); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

// executable reports why p is not an executable file, if it is not.
func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return &os.PathError{Op: "exec", Path: p, Err: os.ErrPermission}
	}
	return nil
}

// execSession is a started exec command and the goroutines copying its
// output.
type execSession struct {
	cmd     *exec.Cmd
	copies  sync.WaitGroup
	closers []io.Closer // read ends of the output, closed at the end
	cleanup func()      // after the command ended (stops stdin, resize), before drain
}

// startPipes starts cmd with pipes for stdin, stdout and stderr, in a new
// process group.
func startPipes(cmd *exec.Cmd, opts *drivers.ExecOptions) (*execSession, error) {
	cmd.SysProcAttr.Setpgid = true
	s := &execSession{cmd: cmd}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	closeAll(inR, outW, errW)
	if err != nil {
		closeAll(inW, outR, errR)
		return nil, err
	}
	s.closers = []io.Closer{outR, errR}
	s.copyOut(opts.Stdout, outR)
	s.copyOut(opts.Stderr, errR)
	stop := feedStdin(inW, opts.Stdin, nil)
	s.cleanup = stop
	return s, nil
}

// startTty starts cmd on a new pseudo-terminal, in a new session with the
// terminal as its controlling terminal. The terminal starts at the latest
// size already waiting in opts.Resize.
func startTty(cmd *exec.Cmd, cred *syscall.Credential, opts *drivers.ExecOptions) (*execSession, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open a terminal: %w", err)
	}
	defer tty.Close()
	if size, ok := latestSize(opts.Resize); ok {
		_ = pty.Setsize(master, winsize(size))
	}
	if cred != nil {
		_ = tty.Chown(int(cred.Uid), -1)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, err
	}
	s := &execSession{cmd: cmd, closers: []io.Closer{master}}
	s.copyOut(opts.Stdout, master)
	stopStdin := feedStdin(master, opts.Stdin, []byte{4})
	stopResize := followResize(master, opts.Resize)
	s.cleanup = func() { stopStdin(); stopResize() }
	return s, nil
}

// copyOut copies r to w (discarding when w is nil) until r ends.
func (s *execSession) copyOut(w io.Writer, r io.Reader) {
	if w == nil {
		w = io.Discard
	}
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		_, _ = io.Copy(w, r)
	}()
}

// wait waits for the command's exit, killing its process group early when
// ctx ends or the task ends (taskDone is closed), then kills what is left
// of the group and lets the output drain.
func (s *execSession) wait(ctx context.Context, taskDone <-chan struct{}) *drivers.ExitResult {
	pid := s.cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-taskDone:
		case <-exited:
			return
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}()
	err := s.cmd.Wait()
	close(exited)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	s.cleanup()
	s.drain()
	return execResult(s.cmd.ProcessState, err)
}

// drain waits for the output copies to end, closing the output's read
// ends when they take longer than execDrainTimeout.
func (s *execSession) drain() {
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
// any more (the terminal may then be closed).
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
				_ = pty.Setsize(master, winsize(size))
			case <-stop:
				return
			}
		}
	}()
	return func() { close(stop); <-done }
}

// latestSize takes every size already waiting on ch and returns the last.
func latestSize(ch <-chan drivers.TerminalSize) (drivers.TerminalSize, bool) {
	var last drivers.TerminalSize
	got := false
	for ch != nil {
		select {
		case s, ok := <-ch:
			if !ok {
				return last, got
			}
			last, got = s, true
		default:
			return last, got
		}
	}
	return last, got
}

func winsize(s drivers.TerminalSize) *pty.Winsize {
	return &pty.Winsize{Rows: uint16(max(s.Height, 0)), Cols: uint16(max(s.Width, 0))}
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}
