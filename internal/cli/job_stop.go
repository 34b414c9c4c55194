package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// stopOptions are the flags of `job stop`.
type stopOptions struct {
	purge   bool
	detach  bool
	verbose bool
}

func (m *meta) jobStopCommand() *cobra.Command {
	var o stopOptions
	cmd := &cobra.Command{
		Use:   "stop [flags] JOB",
		Short: "Stop a running job",
		Long: `Stop a job (given by ID or unique ID prefix): its allocations are stopped and
the job stays listed as dead until garbage collected; with -purge it is
removed at once, with its version history. The evaluation of the stop is
followed like in "job run" unless -detach is given.`,
		Example: `  wharf job stop nginx-minipot
  wharf job stop -purge -detach nginx-minipot`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.jobStop(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.purge, "purge", false, "remove the job and its history instead of keeping it as dead")
	f.BoolVar(&o.detach, "detach", false, "return once the stop is registered, without following the evaluation")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	return cmd
}

func (m *meta) jobStop(arg string, o stopOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	id, err := c.Jobs().ResolveID(arg, nil)
	if err != nil {
		return failed(lookupError("job", arg, err))
	}
	resp, err := c.Jobs().Deregister(id, o.purge)
	if err != nil {
		return failed(fmt.Errorf("stopping job %q: %w", id, err))
	}
	if o.detach || resp.EvalID == "" {
		if resp.EvalID != "" {
			fmt.Fprintln(m.out, resp.EvalID)
		}
		return nil
	}
	return m.monitorEval(c, resp.EvalID, resp.EvalCreateIndex, nil, o.verbose)
}
