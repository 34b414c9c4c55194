// Package cli is wharf's command line: cobra commands whose names, flags,
// output and exit codes follow Nomad's CLI (job run/status/stop/plan/scale,
// alloc status, node status, eval status...), talking to a server through
// internal/api.
//
// cli must never import internal/server, internal/state, internal/scheduler
// or internal/client except through internal/agent (the agent command
// starts one); otherwise it only knows the API (and jobspec, to read job
// files locally).
package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/jobspec"
	"github.com/wharf-project/wharf/internal/structs"
)

// Exit codes shared by the commands.
const (
	exitOK    = 0
	exitError = 1
	// exitPlacementFailed: the evaluation finished but could not place
	// every allocation (as Nomad).
	exitPlacementFailed = 2
)

// Execute runs wharf with the process's arguments and returns the exit code.
func Execute() int {
	return Run(os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs wharf with args, writing to stdout and stderr, and returns the
// exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	m := newMeta(stdout, stderr)
	return m.run(args)
}

// meta is what every command shares: the output streams, the global flags
// and the seams tests replace.
type meta struct {
	out, errOut io.Writer
	address     string
	namespace   string
	region      string
	token       string
	tls         tlsFlags
	now         func() time.Time
	parseFile   func(path string) (*structs.Job, error)
}

func newMeta(stdout, stderr io.Writer) *meta {
	return &meta{out: stdout, errOut: stderr, now: time.Now, parseFile: jobspec.ParseFile}
}

func (m *meta) run(args []string) int {
	root := m.rootCommand()
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var ee *exitCodeError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(m.errOut, "Error: %v\n", ee.err)
			m.hintUnreachable(ee.err)
			m.hintTLS(ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(m.errOut, "Error: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(m.errOut, "Run '%s -help' for usage.\n", cmd.CommandPath())
	}
	return exitError
}

func (m *meta) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "wharf",
		Short: "Orchestrate jails and processes across machines",
		Long: `wharf runs jobs (Nomad job files) on a cluster of machines: servers keep the
state and schedule, clients run tasks in jails or as plain processes, and a
built-in catalog and ingress route traffic to them.

Commands talk to a server's HTTP API at -address (or $WHARF_ADDR, then
$NOMAD_ADDR, then http://127.0.0.1:4646). Long flags take one dash or two:
-json and --json are the same.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.SetOut(m.out)
	root.SetErr(m.errOut)
	pf := root.PersistentFlags()
	pf.StringVar(&m.address, "address", "", "address of a wharf server (default $WHARF_ADDR or "+api.DefaultAddress+")")
	pf.StringVar(&m.namespace, "namespace", "", "namespace of the objects (default $WHARF_NAMESPACE or \"default\")")
	pf.StringVar(&m.region, "region", "", "region of the server to ask (default $WHARF_REGION)")
	pf.StringVar(&m.token, "token", "", "ACL token's secret to send (default $WHARF_TOKEN, then $NOMAD_TOKEN)")
	m.tls.register(pf)
	root.AddCommand(m.jobCommand(), m.allocCommand(), m.nodeCommand(), m.evalCommand(),
		m.versionCommand(), newAgentCommand())
	root.AddCommand(newSuperviseCommand())
	root.AddCommand(newRegistryCommand())
	root.AddCommand(m.imageCommand())
	root.AddCommand(m.serviceCommand())
	root.AddCommand(m.templateCommand())
	root.AddCommand(m.ingressCommand())
	root.AddCommand(newTLSCommand())
	root.AddCommand(m.aclCommand())
	root.AddCommand(m.operatorCommand())
	root.AddCommand(m.systemCommand())
	root.AddCommand(m.agentMonitorCommand())
	root.AddCommand(m.serverCommand())
	return root
}

// client returns an API client for the global flags and the environment.
func (m *meta) client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	if m.address != "" {
		cfg.Address = m.address
	}
	if m.namespace != "" {
		cfg.Namespace = m.namespace
	}
	if m.region != "" {
		cfg.Region = m.region
	}
	if m.token != "" {
		cfg.Token = m.token
	}
	m.tls.apply(cfg)
	return api.NewClient(cfg)
}

// hintUnreachable tells where the CLI looked for a server when it could
// not connect to one.
func (m *meta) hintUnreachable(err error) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return
	}
	addr := m.address
	if addr == "" {
		addr = api.DefaultConfig().Address
	}
	fmt.Fprintf(m.errOut, "Is a wharf agent running at %s? Set -address or WHARF_ADDR to reach another.\n", addr)
}

// exitCodeError ends a command with a given exit code; err, when set, is
// printed first.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

var (
	_ error = (*exitCodeError)(nil)
	_ error = (*usageError)(nil)
)

// exitWith returns nil for exit code 0 and an exitCodeError otherwise.
func exitWith(code int, err error) error {
	if code == exitOK && err == nil {
		return nil
	}
	return &exitCodeError{code: code, err: err}
}

// usageError is a command line the command cannot take (unknown flag,
// wrong number of arguments).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageArgs wraps a cobra argument check so its errors count as usage
// errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
