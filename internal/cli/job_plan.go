package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

// Exit codes of `job plan`, as Nomad's.
const (
	planNoChange = 0
	planChanges  = 1
	planError    = 255
)

// planOptions are the flags of `job plan`.
type planOptions struct {
	diff    bool
	verbose bool
}

func (m *meta) jobPlanCommand() *cobra.Command {
	o := planOptions{diff: true}
	cmd := &cobra.Command{
		Use:   "plan [flags] FILE",
		Short: "Show what submitting a job file would change, without changing anything",
		Long: `Ask the scheduler what would happen if the job file were submitted: the
difference to the running version (+ added, - deleted, +/- edited), per task
group the changes it would make (create, destroy, in-place update...), and
whether every allocation could be placed. Nothing is changed.

Exit codes: 0 when no allocation would be created or destroyed, 1 when some
would be, 255 on error.`,
		Example: `  wharf job plan nginx.job
  wharf job plan -verbose nginx.job`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.jobPlan(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.diff, "diff", true, "show the difference to the running job")
	f.BoolVar(&o.verbose, "verbose", false, "show unchanged fields too")
	return cmd
}

func (m *meta) jobPlan(path string, o planOptions) error {
	job, err := m.parseFile(path)
	if err != nil {
		return exitWith(planError, fmt.Errorf("parsing job file %s:\n%w", path, err))
	}
	c, err := m.client()
	if err != nil {
		return exitWith(planError, err)
	}
	resp, err := c.Jobs().Plan(job, o.diff)
	if err != nil {
		return exitWith(planError, fmt.Errorf("planning job %q: %w", job.ID, err))
	}
	fmt.Fprint(m.out, formatPlan(resp, job, path, o.verbose))
	return exitWith(planExitCode(resp), nil)
}

// formatPlan renders the diff, the dry-run result and how to submit
// exactly this version.
func formatPlan(resp *structs.JobPlanResponse, job *structs.Job, path string, verbose bool) string {
	var b strings.Builder
	if resp.Diff != nil {
		b.WriteString(formatJobDiff(resp.Diff, verbose))
		b.WriteString("\n")
	}
	b.WriteString("Scheduler dry-run:\n")
	if len(resp.FailedTGAllocs) == 0 {
		b.WriteString("- All tasks successfully allocated.\n")
	} else {
		b.WriteString("- WARNING: Failed to place all allocations.\n")
		b.WriteString(formatFailedGroups(resp.FailedTGAllocs, job, "  ", "    "))
	}
	if resp.Warnings != "" {
		fmt.Fprintf(&b, "\nJob Warnings:\n%s\n", resp.Warnings)
	}
	fmt.Fprintf(&b, "\nJob Modify Index: %d\n", resp.JobModifyIndex)
	fmt.Fprintf(&b, "To submit this plan only if the job was not changed since, run:\n\n")
	fmt.Fprintf(&b, "wharf job run -check-index %d %s\n\n", resp.JobModifyIndex, path)
	b.WriteString("The run is refused when the job's modify index on the server is no longer\n")
	b.WriteString("the one above, that is when someone changed the job after this plan.\n")
	return b.String()
}

// planExitCode is 1 when the plan creates, stops, migrates or replaces
// allocations, 0 otherwise.
func planExitCode(resp *structs.JobPlanResponse) int {
	if resp.Annotations == nil {
		if resp.Diff != nil && resp.Diff.Type != structs.DiffTypeNone {
			return planChanges
		}
		return planNoChange
	}
	for _, u := range resp.Annotations.DesiredTGUpdates {
		if u.Place+u.Stop+u.Migrate+u.DestructiveUpdate+u.Canary > 0 {
			return planChanges
		}
	}
	return planNoChange
}
