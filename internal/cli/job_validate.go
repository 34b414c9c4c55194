package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) jobValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a job file without submitting it",
		Long: `Parse and validate a job file locally. Every problem is printed on its own
line as file:line:col: message, so editors can jump to it. Exit code 0 when
the file is valid, 1 otherwise.`,
		Example: `  wharf job validate nginx.job`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := m.parseFile(args[0]); err != nil {
				return failed(fmt.Errorf("job validation failed:\n%w", err))
			}
			fmt.Fprintln(m.out, "Job validation successful")
			return nil
		},
	}
}

func (m *meta) jobInspectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE|JOB",
		Short: "Print a job as API JSON",
		Long: `Print a job in the JSON form the HTTP API takes, wrapped as {"Job": ...}:
the parsed job file when the argument is a file, otherwise the job of that ID
(or unique ID prefix) from the servers. The output can be submitted as is
with PUT /v1/jobs.`,
		Example: `  wharf job inspect nginx.job
  wharf job inspect nginx-minipot > nginx.json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := m.inspectJob(args[0])
			if err != nil {
				return failed(err)
			}
			return printJSON(m.out, struct{ Job *structs.Job }{job})
		},
	}
}

// inspectJob reads arg as a job file when it is one, else fetches the job.
func (m *meta) inspectJob(arg string) (*structs.Job, error) {
	if fi, err := os.Stat(arg); err == nil && fi.Mode().IsRegular() {
		job, err := m.parseFile(arg)
		if err != nil {
			return nil, fmt.Errorf("parsing job file %s:\n%w", arg, err)
		}
		return job, nil
	}
	c, err := m.client()
	if err != nil {
		return nil, err
	}
	job, _, err := c.Jobs().Resolve(arg, nil)
	if err != nil {
		return nil, lookupError("job", arg, err)
	}
	return job, nil
}
