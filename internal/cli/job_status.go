package cli

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// outputOptions are the -verbose and -json flags the status commands share.
type outputOptions struct {
	verbose bool
	json    bool
}

func (o *outputOptions) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.verbose, "verbose", false, "print full IDs and absolute times")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the API objects as JSON")
}

func (m *meta) jobStatusCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "status [flags] [JOB]",
		Short: "List jobs, or show one job's groups, placement failures and allocations",
		Long: `Without an argument, list all jobs. With a job ID (or a unique prefix of one),
show the job, a summary of its allocations per task group, why allocations
could not be placed (when the latest evaluation failed to place some), its
allocations, and the host address and port of each port of its running
allocations (e.g. http: 10.0.0.5:22854 -> 80).`,
		Example: `  wharf job status
  wharf job status nginx-minipot
  wharf job status -json nginx-minipot`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if len(args) == 0 {
				return m.jobList(c, o)
			}
			return m.jobStatus(c, args[0], o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) jobList(c *api.Client, o outputOptions) error {
	jobs, _, err := c.Jobs().List(nil)
	if err != nil {
		return failed(fmt.Errorf("listing jobs: %w", err))
	}
	if o.json {
		return printJSON(m.out, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(m.out, "No running jobs")
		return nil
	}
	fmt.Fprint(m.out, formatJobList(jobs))
	return nil
}

func formatJobList(jobs []*structs.JobListStub) string {
	rows := [][]string{{"ID", "Type", "Priority", "Status", "Submit Date"}}
	for _, j := range jobs {
		rows = append(rows, []string{j.ID, j.Type, strconv.Itoa(j.Priority), j.Status, formatUnixNano(j.SubmitTime)})
	}
	return formatList(rows)
}

// jobStatusView is everything `job status JOB` shows.
type jobStatusView struct {
	Job         *structs.Job
	Summary     *structs.JobSummary
	Allocations []*structs.AllocListStub
	Evaluations []*structs.Evaluation
}

func (m *meta) jobStatus(c *api.Client, arg string, o outputOptions) error {
	v, err := fetchJobStatus(c, arg)
	if err != nil {
		return failed(err)
	}
	if o.json {
		return printJSON(m.out, v)
	}
	fmt.Fprint(m.out, m.formatJobStatus(v, o.verbose))
	return nil
}

func fetchJobStatus(c *api.Client, arg string) (*jobStatusView, error) {
	id, err := c.Jobs().ResolveID(arg, nil)
	if err != nil {
		return nil, lookupError("job", arg, err)
	}
	v := &jobStatusView{}
	if v.Job, _, err = c.Jobs().Info(id, nil); err != nil {
		return nil, fmt.Errorf("reading job %q: %w", id, err)
	}
	if v.Summary, _, err = c.Jobs().Summary(id, nil); err != nil {
		return nil, fmt.Errorf("reading summary of job %q: %w", id, err)
	}
	if v.Allocations, _, err = c.Jobs().Allocations(id, false, nil); err != nil {
		return nil, fmt.Errorf("reading allocations of job %q: %w", id, err)
	}
	if v.Evaluations, _, err = c.Jobs().Evaluations(id, nil); err != nil {
		return nil, fmt.Errorf("reading evaluations of job %q: %w", id, err)
	}
	return v, nil
}

func (m *meta) formatJobStatus(v *jobStatusView, verbose bool) string {
	var b strings.Builder
	j := v.Job
	b.WriteString(formatKV([]kv{
		{"ID", j.ID}, {"Name", j.Name}, {"Submit Date", formatUnixNano(j.SubmitTime)},
		{"Type", j.Type}, {"Priority", strconv.Itoa(j.Priority)},
		{"Datacenters", strings.Join(j.Datacenters, ",")}, {"Namespace", j.Namespace},
		{"Status", jobStatusText(j)}, {"Version", strconv.FormatUint(j.Version, 10)},
	}))
	b.WriteString("\nSummary\n")
	b.WriteString(formatSummary(v.Summary))
	if failed := latestFailedEval(v.Evaluations); failed != nil {
		b.WriteString("\nLatest Evaluation Failed\n")
		b.WriteString(failed.StatusDescription + "\n")
	}
	if failure := latestPlacementFailure(v.Evaluations); failure != nil {
		b.WriteString("\nPlacement Failure\n")
		b.WriteString(formatFailedGroups(failure.FailedTGAllocs, j, "", "  "))
	}
	b.WriteString("\nAllocations\n")
	b.WriteString(m.formatAllocTable(v.Allocations, verbose))
	if addrs := formatAllocAddrTable(v.Allocations, verbose); addrs != "" {
		b.WriteString("\nAllocation Addresses\n")
		b.WriteString(addrs)
	}
	return b.String()
}

// jobStatusText is the job's status, marked when the job was stopped.
func jobStatusText(j *structs.Job) string {
	if j.Stop {
		return j.Status + " (stopped)"
	}
	return j.Status
}

func formatSummary(s *structs.JobSummary) string {
	rows := [][]string{{"Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown"}}
	if s == nil {
		return formatList(rows)
	}
	for _, g := range slices.Sorted(maps.Keys(s.Summary)) {
		t := s.Summary[g]
		rows = append(rows, []string{g, itoa(t.Queued), itoa(t.Starting), itoa(t.Running),
			itoa(t.Failed), itoa(t.Complete), itoa(t.Lost), itoa(t.Unknown)})
	}
	return formatList(rows)
}

func itoa(n int) string { return strconv.Itoa(n) }

// latestPlacementFailure is the newest evaluation that failed to place
// allocations, shown only while a blocked evaluation still waits to place
// them (once capacity appears and they are placed, the failure is history).
func latestPlacementFailure(evals []*structs.Evaluation) *structs.Evaluation {
	var latest *structs.Evaluation
	blocked := false
	for _, e := range evals {
		if e.Status == structs.EvalStatusBlocked {
			blocked = true
		}
		if len(e.FailedTGAllocs) > 0 && (latest == nil || e.CreateIndex > latest.CreateIndex) {
			latest = e
		}
	}
	if !blocked {
		return nil
	}
	return latest
}

// formatAllocTable lists allocations newest first.
func (m *meta) formatAllocTable(allocs []*structs.AllocListStub, verbose bool) string {
	if len(allocs) == 0 {
		return "No allocations placed\n"
	}
	sorted := slices.Clone(allocs)
	slices.SortStableFunc(sorted, func(a, b *structs.AllocListStub) int {
		return cmp.Or(cmp.Compare(b.CreateIndex, a.CreateIndex), cmp.Compare(a.Name, b.Name))
	})
	now := m.now()
	rows := [][]string{{"ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}}
	for _, a := range sorted {
		rows = append(rows, []string{shortID(a.ID, verbose), shortID(a.NodeID, verbose), a.TaskGroup,
			strconv.FormatUint(a.JobVersion, 10), a.DesiredStatus, a.ClientStatus,
			formatAge(a.CreateTime, now, verbose), formatAge(a.ModifyTime, now, verbose)})
	}
	return formatList(rows)
}

// formatAllocAddrTable lists the ports of allocations that may still run;
// it is empty when none has a port.
func formatAllocAddrTable(allocs []*structs.AllocListStub, verbose bool) string {
	rows := [][]string{{"Alloc ID", "Task Group", "Label", "Address"}}
	for _, a := range allocs {
		if a.DesiredStatus != structs.AllocDesiredStatusRun || isClientTerminal(a.ClientStatus) {
			continue
		}
		for _, addr := range allocAddresses(a.AllocatedResources) {
			rows = append(rows, []string{shortID(a.ID, verbose), a.TaskGroup, addr.Label, addr.String()})
		}
	}
	if len(rows) == 1 {
		return ""
	}
	return formatList(rows)
}

func isClientTerminal(status string) bool {
	switch status {
	case structs.AllocClientStatusComplete, structs.AllocClientStatusFailed, structs.AllocClientStatusLost:
		return true
	}
	return false
}
