package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) evalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "eval",
		Short:   "Inspect evaluations",
		Long:    `Inspect evaluations: the scheduler's passes over a job after it or its nodes change.`,
		Example: `  wharf eval status 5d8a5e9b`,
	}
	cmd.AddCommand(m.evalStatusCommand())
	return cmd
}

func (m *meta) evalStatusCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "status [flags] EVAL",
		Short: "Show an evaluation and why it could not place allocations",
		Long: `Show one evaluation (by ID or unique ID prefix): what triggered it, its
status, the allocations it placed and, when it could not place every
allocation, why not for each task group.`,
		Example: `  wharf eval status 5d8a5e9b
  wharf eval status -json 5d8a5e9b`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.evalStatus(args[0], o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) evalStatus(arg string, o outputOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	eval, _, err := c.Evaluations().Resolve(arg, nil)
	if err != nil {
		return failed(lookupError("evaluation", arg, err))
	}
	if o.json {
		return printJSON(m.out, eval)
	}
	allocs, _, err := c.Evaluations().Allocations(eval.ID, nil)
	if err != nil {
		return failed(fmt.Errorf("reading allocations of evaluation %q: %w", eval.ID, err))
	}
	var job *structs.Job
	if len(eval.FailedTGAllocs) > 0 {
		// The job only adds hints to the failure explanation; without it
		// the explanation is still complete.
		job, _, _ = c.Jobs().Info(eval.JobID, &api.QueryOptions{Namespace: eval.Namespace})
	}
	fmt.Fprint(m.out, m.formatEvalStatus(eval, job, allocs, o.verbose))
	return nil
}

func (m *meta) formatEvalStatus(e *structs.Evaluation, job *structs.Job, allocs []*structs.AllocListStub, verbose bool) string {
	var b strings.Builder
	now := m.now()
	pairs := []kv{
		{"ID", shortID(e.ID, verbose)},
		{"Create Time", formatAge(e.CreateTime, now, verbose)},
		{"Modify Time", formatAge(e.ModifyTime, now, verbose)},
		{"Status", e.Status}, {"Status Description", e.StatusDescription},
		{"Type", e.Type}, {"TriggeredBy", e.TriggeredBy},
		{"Job ID", e.JobID}, {"Namespace", e.Namespace},
	}
	if e.NodeID != "" {
		pairs = append(pairs, kv{"Node ID", shortID(e.NodeID, verbose)})
	}
	pairs = append(pairs, kv{"Priority", strconv.Itoa(e.Priority)},
		kv{"Placement Failures", strconv.FormatBool(len(e.FailedTGAllocs) > 0)})
	b.WriteString(formatKV(pairs))
	if len(e.FailedTGAllocs) > 0 {
		b.WriteString("\nFailed Placements\n")
		b.WriteString(formatFailedGroups(e.FailedTGAllocs, job, "", "  "))
		if e.BlockedEval != "" {
			fmt.Fprintf(&b, "\nEvaluation %q waiting for additional capacity to place remainder\n", shortID(e.BlockedEval, verbose))
		}
	}
	if len(allocs) > 0 {
		b.WriteString("\nPlaced Allocations\n")
		b.WriteString(m.formatAllocTable(allocs, verbose))
	}
	return b.String()
}
