package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

// runOptions are the flags of `job run`.
type runOptions struct {
	detach     bool
	verbose    bool
	checkIndex uint64
	enforce    bool
}

func (m *meta) jobRunCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [flags] FILE",
		Short: "Submit a job file and follow its placement",
		Long: `Read a job file, submit the job to the servers and follow the evaluation the
servers create for it until every allocation is placed or placement fails.

Exit codes: 0 when every allocation was placed (or with -detach once the job
is registered), 2 when some allocations could not be placed (the servers keep
a blocked evaluation and place them when capacity appears), 1 on any error.`,
		Example: `  wharf job run nginx.job
  wharf job run -detach nginx.job
  wharf job run -check-index 7 nginx.job`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.enforce = cmd.Flags().Changed("check-index")
			return m.jobRun(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.detach, "detach", false, "return once the job is registered, without following the evaluation")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	f.Uint64Var(&o.checkIndex, "check-index", 0, "register only if the job's modify index on the server is this (0: job must not exist)")
	return cmd
}

func (m *meta) jobRun(path string, o runOptions) error {
	job, err := m.parseFile(path)
	if err != nil {
		return failed(fmt.Errorf("parsing job file %s:\n%w", path, err))
	}
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	var resp *structs.JobRegisterResponse
	if o.enforce {
		resp, err = c.Jobs().EnforceRegister(job, o.checkIndex, nil)
	} else {
		resp, err = c.Jobs().Register(job, nil)
	}
	if err != nil {
		return failed(fmt.Errorf("submitting job %q: %w", job.ID, err))
	}
	if resp.Warnings != "" {
		fmt.Fprintf(m.out, "Job Warnings:\n%s\n\n", resp.Warnings)
	}
	if o.detach || resp.EvalID == "" {
		fmt.Fprintln(m.out, "Job registration successful")
		if resp.EvalID != "" {
			fmt.Fprintf(m.out, "Evaluation ID: %s\n", resp.EvalID)
		}
		return nil
	}
	return m.monitorEval(c, resp.EvalID, resp.EvalCreateIndex, job, o.verbose)
}
