package tmpl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"text/template"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// DefaultCommandTimeout bounds a reload command when Options sets none.
const DefaultCommandTimeout = 30 * time.Second

// Options configure a Runner.
type Options struct {
	// Client reads the catalog.
	Client *api.Client
	// Templates are rendered in order on every pass.
	Templates []Spec
	// Wait debounces renders after a change.
	Wait Wait
	// Once renders a single time and returns.
	Once bool
	// DryRun, when set, receives the rendered text of every template
	// instead of its destination file; no command runs.
	DryRun io.Writer
	// Logger reports renders, commands and errors; nil discards.
	Logger *slog.Logger
	// CommandTimeout bounds each command; zero means
	// DefaultCommandTimeout.
	CommandTimeout time.Duration
}

// Runner renders templates from the catalog and keeps them current.
type Runner struct {
	opts  Options
	log   *slog.Logger
	files []*file
	// afterPass, when set (by tests), sees the end of every pass.
	afterPass func(err error)
}

// file is one parsed template.
type file struct {
	spec Spec
	t    *template.Template
}

// New parses every template of opts; a syntax error names the file and
// line ("template: in.tmpl:3: function \"nope\" not defined").
func New(opts Options) (*Runner, error) {
	if opts.Client == nil {
		return nil, errors.New("tmpl: no API client")
	}
	if len(opts.Templates) == 0 {
		return nil, errors.New("tmpl: no templates")
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{opts: opts, log: log}
	for _, sp := range opts.Templates {
		f, err := parseFile(sp)
		if err != nil {
			return nil, err
		}
		r.files = append(r.files, f)
	}
	return r, nil
}

func parseFile(sp Spec) (*file, error) {
	text, err := os.ReadFile(sp.Source)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := template.New(sp.Source).Option("missingkey=error").Funcs(funcMap(nil)).Parse(string(text))
	if err != nil {
		return nil, err
	}
	return &file{spec: sp, t: t}, nil
}

// Run renders the templates, then (unless Once) re-renders them each time
// the catalog data they read changes, until ctx ends. With Once it
// returns the first error of the pass (a template or a command that
// failed); otherwise errors are logged and the next change retries, and
// Run returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := newStore(ctx, r.opts.Client, r.log, !r.opts.Once)
	defer s.close()
	for _, f := range r.files {
		f.t.Funcs(funcMap(s))
	}
	err := r.pass(ctx, s)
	if r.opts.Once {
		return err
	}
	for r.waitChange(ctx, s.changed) {
		r.pass(ctx, s)
	}
	return nil
}

// pass renders every template, writes those whose output changed and runs
// their commands (each distinct command once, in template order).
func (r *Runner) pass(ctx context.Context, s *store) error {
	s.beginPass()
	var errs, cmdErrs []error
	var commands []string
	for _, f := range r.files {
		changed, err := r.renderFile(f)
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // shutting down: not a template's fault
		}
		if err != nil {
			r.log.Error("render failed", "template", f.spec.Source, "error", err)
			errs = append(errs, err)
			continue
		}
		if changed && f.spec.Command != "" && !slices.Contains(commands, f.spec.Command) {
			commands = append(commands, f.spec.Command)
		}
	}
	if len(errs) == 0 {
		s.prune()
	}
	for _, c := range commands {
		if err := r.runCommand(ctx, c); err != nil {
			cmdErrs = append(cmdErrs, err)
		}
	}
	err := errors.Join(append(errs, cmdErrs...)...)
	if r.afterPass != nil {
		r.afterPass(err)
	}
	return err
}

// renderFile renders f and writes its destination when the output
// differs from it; it reports whether it wrote.
func (r *Runner) renderFile(f *file) (bool, error) {
	var buf bytes.Buffer
	if err := f.t.Execute(&buf, nil); err != nil {
		return false, err
	}
	if r.opts.DryRun != nil {
		_, err := fmt.Fprintf(r.opts.DryRun, "> %s\n%s", f.spec.Dest, buf.Bytes())
		return false, err
	}
	changed, err := writeIfChanged(f.spec.Dest, buf.Bytes())
	if err != nil {
		return false, fmt.Errorf("template %s: %w", f.spec.Source, err)
	}
	if changed {
		r.log.Info("rendered", "template", f.spec.Source, "dest", f.spec.Dest, "bytes", buf.Len())
	}
	return changed, nil
}

func (r *Runner) runCommand(ctx context.Context, command string) error {
	out, err := runCommand(ctx, command, r.opts.CommandTimeout)
	if err != nil {
		r.log.Error("command failed", "command", command, "error", err, "output", string(out))
		return fmt.Errorf("command %q: %w: %s", command, err, bytes.TrimSpace(out))
	}
	r.log.Info("command ran", "command", command, "output", string(bytes.TrimSpace(out)))
	return nil
}

// waitChange waits for a change and then for the Wait's quiet period; it
// reports false when ctx ends first.
func (r *Runner) waitChange(ctx context.Context, changed <-chan struct{}) bool {
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	}
	w := r.opts.Wait
	if w.Max <= 0 {
		return true
	}
	first := time.Now()
	timer := time.NewTimer(time.Until(w.deadline(first, first)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-changed:
			timer.Reset(time.Until(w.deadline(first, time.Now())))
		case <-timer.C:
			return true
		}
	}
}
