package cli

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/tmpl"
)

// templateOptions are the flags of wharf template.
type templateOptions struct {
	templates []string
	wait      string
	once      bool
	dry       bool
}

func (m *meta) templateCommand() *cobra.Command {
	var o templateOptions
	cmd := &cobra.Command{
		Use:   "template -template SRC:DEST[:COMMAND] [flags]",
		Short: "Render files from the service catalog and reload on change",
		Long: `Render Go text/template files from the service catalog, the way
consul-template does, and keep them current: each catalog read a template
makes follows the catalog with blocking queries, so a change (an instance
registered, deregistered, or changing health) re-renders at once, with no
polling. A destination is rewritten atomically (temporary file and rename,
keeping its mode) only when its content changes, and only then runs the
template's command with sh -c. A failing command is logged with its output;
the watch goes on. SIGINT or SIGTERM ends it cleanly.

-template SRC:DEST[:COMMAND] may be repeated; the command is everything after
the second colon. -wait MIN[:MAX] holds renders back until the catalog has
been quiet for MIN, but no longer than MAX (default 4*MIN). -once renders a
single time and exits (1 when a template or command failed). -dry prints the
renders to stdout instead of writing files or running commands.

Functions a template can call:
  services                 the services: .Name .Namespace .Tags
  service "NAME"           passing instances of NAME: .ID .Name .Address .Port
                           .Tags .Meta .Node .Datacenter .JobID .AllocID
                           .Health .Checks
  service "TAG.NAME"       passing instances with tag TAG
  service "NAME|any"       instances in any health state; also
                           "NAME|passing,warning" and other lists
  nodes                    the client nodes: .ID .Name .Address .Status ...
  byTag LIST               instances grouped by tag (a map)
  sortBy "FIELD" LIST      LIST sorted by a string or number field
  contains "S" LIST, join "SEP" LIST, split "SEP" S, replaceAll "OLD" "NEW" S,
  toLower, toUpper, trimSpace, env "NAME"
Errors in a template name its file and line.`,
		Example: `  # Render an haproxy configuration and reload haproxy when it changes.
  wharf template \
    -template 'haproxy.cfg.tmpl:/etc/haproxy/haproxy.cfg:haproxy -D -p /run/haproxy.pid -f /etc/haproxy/haproxy.cfg -sf $(cat /run/haproxy.pid)'

  # Print what a template renders to now, once.
  wharf template -once -dry -template "upstreams.tmpl:upstreams.conf"

  # Debounce bursts of changes: 2s of quiet, at most 10s of delay.
  wharf template -wait 2s:10s -template "in.tmpl:out.conf:systemctl reload nginx"`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runTemplate(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.templates, "template", nil, "SRC:DEST[:COMMAND] to render (repeatable)")
	f.StringVar(&o.wait, "wait", "", "MIN[:MAX] quiet period before a render (e.g. 2s:10s)")
	f.BoolVar(&o.once, "once", false, "render once and exit")
	f.BoolVar(&o.dry, "dry", false, "print renders to stdout; write no file and run no command")
	return cmd
}

// templateRunnerOptions turns the flags into the runner's options.
func (m *meta) templateRunnerOptions(o templateOptions) (tmpl.Options, error) {
	if len(o.templates) == 0 {
		return tmpl.Options{}, &usageError{errNoTemplate}
	}
	var opts tmpl.Options
	for _, s := range o.templates {
		sp, err := tmpl.ParseSpec(s)
		if err != nil {
			return tmpl.Options{}, &usageError{err}
		}
		opts.Templates = append(opts.Templates, sp)
	}
	w, err := tmpl.ParseWait(o.wait)
	if err != nil {
		return tmpl.Options{}, &usageError{err}
	}
	opts.Wait, opts.Once = w, o.once
	if o.dry {
		opts.DryRun = m.out
	}
	opts.Logger = slog.New(slog.NewTextHandler(m.errOut, nil))
	return opts, nil
}

func (m *meta) runTemplate(cmd *cobra.Command, o templateOptions) error {
	opts, err := m.templateRunnerOptions(o)
	if err != nil {
		return err
	}
	if opts.Client, err = m.client(); err != nil {
		return failed(err)
	}
	r, err := tmpl.New(opts)
	if err != nil {
		return failed(err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := r.Run(ctx); err != nil {
		return failed(err)
	}
	return nil
}

// errNoTemplate is a template command line without -template.
var errNoTemplate = errors.New("at least one -template SRC:DEST[:COMMAND] is required")
