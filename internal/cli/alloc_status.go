package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) allocCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alloc",
		Short:   "Inspect allocations",
		Long:    `Inspect allocations: the running (or finished) copies of a job's task groups.`,
		Example: `  wharf alloc status 8ba85cef`,
	}
	cmd.AddCommand(m.allocStatusCommand(), m.allocLogsCommand())
	cmd.AddCommand(m.allocStopCommand(), m.allocRestartCommand(), m.allocSignalCommand())
	return cmd
}

func (m *meta) allocStatusCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "status [flags] ALLOC",
		Short: "Show an allocation, its addresses and its tasks' events",
		Long: `Show one allocation (by ID or unique ID prefix): where it runs, its client
and desired status, the host address and port of each of its ports, and for
each task its state and recent events. Driver and setup errors appear in the
events verbatim.`,
		Example: `  wharf alloc status 8ba85cef
  wharf alloc status -verbose 8ba85cef
  wharf alloc status -json 8ba85cef`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.allocStatus(args[0], o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) allocStatus(arg string, o outputOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	alloc, _, err := c.Allocations().Resolve(arg, nil)
	if err != nil {
		return failed(lookupError("allocation", arg, err))
	}
	if o.json {
		return printJSON(m.out, alloc)
	}
	fmt.Fprint(m.out, m.formatAllocStatus(alloc, o.verbose))
	return nil
}

func (m *meta) formatAllocStatus(a *structs.Allocation, verbose bool) string {
	var b strings.Builder
	now := m.now()
	b.WriteString(formatKV([]kv{
		{"ID", shortID(a.ID, verbose)}, {"Eval ID", shortID(a.EvalID, verbose)}, {"Name", a.Name},
		{"Node ID", shortID(a.NodeID, verbose)}, {"Node Name", a.NodeName}, {"Job ID", a.JobID},
		{"Job Version", strconv.FormatUint(a.JobVersion, 10)},
		{"Client Status", a.ClientStatus}, {"Client Description", a.ClientDescription},
		{"Desired Status", a.DesiredStatus}, {"Desired Description", a.DesiredDescription},
		{"Created", formatAge(a.CreateTime, now, verbose)}, {"Modified", formatAge(a.ModifyTime, now, verbose)},
	}))
	if a.NextAllocation != "" {
		fmt.Fprintf(&b, "Replacement Alloc ID = %s\n", shortID(a.NextAllocation, verbose))
	}
	b.WriteString(formatAddresses(a.AllocatedResources))
	b.WriteString(formatTasks(a))
	if verbose && a.Metrics != nil {
		b.WriteString("\nPlacement Metrics\n")
		b.WriteString(formatMetrics(a.Metrics))
	}
	return b.String()
}

// formatAddresses is the "Allocation Addresses" section, or nothing when
// the allocation has no ports.
func formatAddresses(res *structs.AllocatedResources) string {
	addrs := allocAddresses(res)
	if len(addrs) == 0 {
		return ""
	}
	head := "\nAllocation Addresses:\n"
	if mode := networkMode(res); mode != "" {
		head = fmt.Sprintf("\nAllocation Addresses (mode = %q):\n", mode)
	}
	rows := [][]string{{"Label", "Dynamic", "Address"}}
	for _, a := range addrs {
		rows = append(rows, []string{a.Label, yesNo(a.Dynamic), a.String()})
	}
	return head + formatList(rows)
}

func formatTasks(a *structs.Allocation) string {
	if len(a.TaskStates) == 0 {
		return "\nNo task has reported a state yet\n"
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(a.TaskStates)) {
		st := a.TaskStates[name]
		if st == nil {
			continue
		}
		fmt.Fprintf(&b, "\nTask %q is %q\n", name, st.State)
		b.WriteString(formatTaskResources(a.AllocatedResources, name))
		b.WriteString("\nRecent Events:\n")
		b.WriteString(formatEvents(st.Events))
	}
	return b.String()
}

func formatTaskResources(res *structs.AllocatedResources, task string) string {
	if res == nil || res.Tasks[task] == nil {
		return ""
	}
	t := res.Tasks[task]
	mem := formatMB(t.Memory.MemoryMB)
	if t.Memory.MemoryMaxMB > t.Memory.MemoryMB {
		mem += " (max " + formatMB(t.Memory.MemoryMaxMB) + ")"
	}
	return "Task Resources:\n" + formatList([][]string{
		{"CPU", "Memory"},
		{fmt.Sprintf("%d MHz", t.Cpu.CpuShares), mem},
	})
}

// formatEvents lists events newest first.
func formatEvents(events []*structs.TaskEvent) string {
	rows := [][]string{{"Time", "Type", "Description"}}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		rows = append(rows, []string{formatUnixNano(e.Time), e.Type, eventDescription(e)})
	}
	return formatList(rows)
}

// formatMetrics prints the placement counters of an allocation.
func formatMetrics(mt *structs.AllocMetric) string {
	var b strings.Builder
	fmt.Fprintf(&b, "* Nodes evaluated: %d, filtered: %d, exhausted: %d\n",
		mt.NodesEvaluated, mt.NodesFiltered, mt.NodesExhausted)
	for _, line := range metricLines(mt, nil) {
		fmt.Fprintf(&b, "* %s\n", line)
	}
	for _, node := range slices.Sorted(maps.Keys(mt.Scores)) {
		fmt.Fprintf(&b, "* Score %q = %f\n", node, mt.Scores[node])
	}
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
