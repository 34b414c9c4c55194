package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

// scaleOptions are the flags of `job scale`.
type scaleOptions struct {
	detach  bool
	verbose bool
	message string
}

func (m *meta) jobScaleCommand() *cobra.Command {
	var o scaleOptions
	cmd := &cobra.Command{
		Use:   "scale [flags] JOB [GROUP] COUNT",
		Short: "Change the count of a task group",
		Long: `Set how many allocations of a task group should run. GROUP may be left out
when the job has a single group. The evaluation of the change is followed
like in "job run" unless -detach is given; exit code 2 means some of the new
allocations could not be placed.`,
		Example: `  wharf job scale nginx-minipot group1 2
  wharf job scale nginx-minipot 2`,
		Args: usageArgs(cobra.RangeArgs(2, 3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.jobScale(args, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.detach, "detach", false, "return once the change is registered, without following the evaluation")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	f.StringVar(&o.message, "message", "", "reason for the change, kept with the job's scaling events")
	return cmd
}

func (m *meta) jobScale(args []string, o scaleOptions) error {
	count, err := strconv.Atoi(args[len(args)-1])
	if err != nil || count < 0 {
		return failed(fmt.Errorf("count %q is not a non-negative integer", args[len(args)-1]))
	}
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	job, _, err := c.Jobs().Resolve(args[0], nil)
	if err != nil {
		return failed(lookupError("job", args[0], err))
	}
	group, err := scaleGroup(job.TaskGroups, args)
	if err != nil {
		return failed(err)
	}
	resp, err := c.Jobs().Scale(job.ID, group, count, o.message)
	if err != nil {
		return failed(fmt.Errorf("scaling group %q of job %q: %w", group, job.ID, err))
	}
	if o.detach || resp.EvalID == "" {
		if resp.EvalID != "" {
			fmt.Fprintf(m.out, "Evaluation ID: %s\n", resp.EvalID)
		}
		return nil
	}
	return m.monitorEval(c, resp.EvalID, resp.EvalCreateIndex, job, o.verbose)
}

// scaleGroup picks the group named in args, or the job's only group.
func scaleGroup(groups []*structs.TaskGroup, args []string) (string, error) {
	if len(args) == 3 {
		for _, g := range groups {
			if g.Name == args[1] {
				return args[1], nil
			}
		}
		return "", fmt.Errorf("job %q has no task group %q", args[0], args[1])
	}
	if len(groups) != 1 {
		return "", fmt.Errorf("job %q has %d task groups: name the one to scale", args[0], len(groups))
	}
	return groups[0].Name, nil
}
