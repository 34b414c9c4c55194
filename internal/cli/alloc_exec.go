package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// allocExecOptions are the flags of `alloc exec`.
type allocExecOptions struct {
	stdin  bool
	tty    bool
	task   string
	escape string
	// ttySet says -t was given (else it follows whether stdin is a
	// terminal).
	ttySet bool
}

// execStdin is the terminal or pipe `alloc exec` reads; tests replace it.
var execStdin io.Reader = os.Stdin

func (m *meta) allocExecCommand() *cobra.Command {
	var o allocExecOptions
	cmd := &cobra.Command{
		Use:   "exec [flags] ALLOC [TASK] CMD [ARGS...]",
		Short: "Run a command inside a running task",
		Long: `Run a command inside a running task of an allocation (by ID or unique ID
prefix), like "nomad alloc exec": the node runs it with the task's
environment and working directory (inside its jail for pot tasks), and the
command's input and output travel over a websocket through the servers. The
command exits with the remote command's exit code.

The task is named with -task, or as the argument after ALLOC when it names a
task of the allocation and a command follows it; an allocation with one task
needs neither. Flags end at ALLOC: everything after it belongs to the
command.

-i (default true) sends this terminal's input to the command; -i=false gives
it an empty input. -t runs the command on a terminal (the default when the
input is a terminal): the local terminal is put in raw mode and its size
follows window changes. On a terminal, the escape character (-e, "~" by
default) at the start of a line followed by "." ends the session; "~~" sends
one "~". -e none disables escapes.`,
		Example: `  wharf alloc exec 8ba85cef /bin/sh
  wharf alloc exec -task web 8ba85cef cat /etc/resolv.conf
  wharf alloc exec 8ba85cef web /bin/sh -c 'echo $NOMAD_ALLOC_ID'
  echo hello | wharf alloc exec -t=false 8ba85cef cat`,
		Args: usageArgs(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ttySet = cmd.Flags().Changed("tty")
			return m.allocExec(cmd.Context(), args, o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.stdin, "stdin", "i", true, "send this terminal's input to the command")
	f.BoolVarP(&o.tty, "tty", "t", false, "run the command on a terminal (default: when the input is a terminal)")
	f.StringVar(&o.task, "task", "", "the task to run the command in")
	f.StringVarP(&o.escape, "escape", "e", "~", `escape character of a terminal session, or "none"`)
	return cmd
}

// allocExec runs the session and turns the remote exit code into ours.
func (m *meta) allocExec(ctx context.Context, args []string, o allocExecOptions) error {
	esc, err := parseEscape(o.escape)
	if err != nil {
		return &usageError{err}
	}
	c, alloc, err := m.resolveAlloc(args[0])
	if err != nil {
		return err
	}
	task, command, err := splitTaskCommand(alloc, o.task, args[1:])
	if err != nil {
		return failed(err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := newExecTerminal(o, esc, cancel)
	defer s.restore()
	code, err := c.AllocExec(ctx, alloc.ID, task, command, s.tty, s.stdin, m.out, m.errOut, s.resize)
	s.restore()
	switch {
	case s.escaped():
		return nil
	case err != nil:
		return failed(fmt.Errorf("exec in task %s of allocation %s: %w", task, shortID(alloc.ID, false), err))
	case code != 0:
		return exitWith(code, nil)
	}
	return nil
}

// parseEscape reads -e: one character, or "none" (0).
func parseEscape(s string) (byte, error) {
	switch {
	case s == "none":
		return 0, nil
	case len(s) == 1:
		return s[0], nil
	}
	return 0, fmt.Errorf("-e: the escape character must be one character or \"none\", not %q", s)
}

// splitTaskCommand picks the task and the command from the arguments after
// ALLOC: -task when given, else the first argument when it names a task
// and a command follows, else the allocation's only task.
func splitTaskCommand(a *structs.Allocation, flagTask string, args []string) (string, []string, error) {
	names := taskNames(a)
	switch {
	case flagTask != "":
		if !slices.Contains(names, flagTask) {
			return "", nil, fmt.Errorf("allocation %s has no task %q (tasks: %s)", shortID(a.ID, false), flagTask, strings.Join(names, ", "))
		}
		return flagTask, args, nil
	case len(args) >= 2 && slices.Contains(names, args[0]):
		return args[0], args[1:], nil
	case len(names) == 1:
		return names[0], args, nil
	case len(names) == 0:
		return "", nil, fmt.Errorf("allocation %s has no tasks", shortID(a.ID, false))
	}
	return "", nil, fmt.Errorf("allocation %s has several tasks (%s): name one with -task", shortID(a.ID, false), strings.Join(names, ", "))
}

// taskNames lists the allocation's tasks, sorted.
func taskNames(a *structs.Allocation) []string {
	var names []string
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		for name := range a.TaskStates {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// execTerminal is the local side of a session: stdin (filtered for the
// escape sequence), raw mode and window size changes.
type execTerminal struct {
	tty     bool
	stdin   io.Reader
	resize  chan api.TerminalSize
	restore func()
	filter  *escapeFilter
}

// newExecTerminal prepares the local terminal; cancel ends the session
// when the escape sequence is typed.
func newExecTerminal(o allocExecOptions, esc byte, cancel context.CancelFunc) *execTerminal {
	s := &execTerminal{restore: func() {}}
	inFile, isFile := execStdin.(*os.File)
	inTerm := isFile && term.IsTerminal(int(inFile.Fd()))
	s.tty = o.tty || (!o.ttySet && inTerm)
	if o.stdin {
		s.stdin = execStdin
	}
	if !s.tty {
		return s
	}
	if s.stdin != nil && esc != 0 {
		s.filter = &escapeFilter{esc: esc, lineStart: true}
		s.stdin = &escapeReader{r: s.stdin, f: s.filter, onEscape: cancel}
	}
	if inTerm && o.stdin {
		if old, err := term.MakeRaw(int(inFile.Fd())); err == nil {
			restored := false
			s.restore = func() {
				if !restored {
					restored = true
					_ = term.Restore(int(inFile.Fd()), old)
				}
			}
		}
	}
	s.resize = make(chan api.TerminalSize, 4)
	s.followWindow()
	return s
}

// followWindow sends the terminal's size now and after each SIGWINCH.
func (s *execTerminal) followWindow() {
	fd := -1
	for _, f := range []*os.File{os.Stdout, os.Stdin, os.Stderr} {
		if term.IsTerminal(int(f.Fd())) {
			fd = int(f.Fd())
			break
		}
	}
	if fd < 0 {
		return
	}
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case s.resize <- api.TerminalSize{Height: h, Width: w}:
			default:
			}
		}
	}
	send()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			send()
		}
	}()
	prev := s.restore
	s.restore = func() { signal.Stop(winch); prev() }
}

// escaped reports whether the session was ended by the escape sequence.
func (s *execTerminal) escaped() bool { return s.filter != nil && s.filter.done }

// escapeFilter finds the escape sequence in typed input: the escape
// character at the start of a line followed by "." ends the session; the
// escape character twice sends it once; followed by anything else, both
// are sent.
type escapeFilter struct {
	esc       byte
	lineStart bool
	pending   bool // the escape character was typed at a line start
	done      bool
}

// filter returns in without escape sequences, and whether the session
// must end (in's bytes after the sequence are dropped).
func (f *escapeFilter) filter(in []byte) ([]byte, bool) {
	out := make([]byte, 0, len(in))
	for _, b := range in {
		switch {
		case f.pending:
			f.pending = false
			if b == '.' {
				f.done = true
				return out, true
			}
			if b != f.esc {
				out = append(out, f.esc)
			}
			out = append(out, b)
		case f.lineStart && b == f.esc:
			f.pending = true
			continue
		default:
			out = append(out, b)
		}
		f.lineStart = b == '\r' || b == '\n'
	}
	return out, false
}

// escapeReader filters r through an escapeFilter and calls onEscape (and
// reads EOF) when the sequence is typed.
type escapeReader struct {
	r        io.Reader
	f        *escapeFilter
	onEscape func()
}

// Read returns filtered input.
func (e *escapeReader) Read(p []byte) (int, error) {
	for {
		if e.f.done {
			return 0, io.EOF
		}
		n, err := e.r.Read(p)
		out, end := e.f.filter(p[:n])
		copy(p, out)
		if end {
			e.onEscape()
			if len(out) > 0 {
				return len(out), nil
			}
			return 0, io.EOF
		}
		if len(out) > 0 || err != nil {
			if errors.Is(err, io.EOF) && e.f.pending {
				e.f.pending = false
				p[len(out)] = e.f.esc // the held escape character, at EOF
				return len(out) + 1, err
			}
			return len(out), err
		}
	}
}
