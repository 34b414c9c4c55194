package cli

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
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
	cmd.AddCommand(m.allocExecCommand())
	return cmd
}

func (m *meta) allocStatusCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "status [flags] ALLOC",
		Short: "Show an allocation, its addresses and its tasks' events",
		Long: `Show one allocation (by ID or unique ID prefix): where it runs, its client
and desired status, the host address and port of each of its ports, and for
each task its state, its reserved resources (with what it uses now, when it
runs) and recent events. Driver and setup errors appear in the events
verbatim.`,
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
	usage, note := allocUsage(c, alloc)
	fmt.Fprint(m.out, m.formatAllocStatus(alloc, usage, note, o.verbose))
	return nil
}

// statsTimeout bounds the wait for a node's resource figures, so that an
// unreachable node does not hold up `alloc status`.
const statsTimeout = 5 * time.Second

// allocUsage asks the node for the resource use of the allocation's
// running tasks. With none running it asks nothing; when the call fails
// or times out, note says so in one line.
func allocUsage(c *api.Client, a *structs.Allocation) (usage *api.AllocResourceUsage, note string) {
	running := false
	for _, st := range a.TaskStates {
		running = running || (st != nil && st.State == structs.TaskStateRunning)
	}
	if !running {
		return nil, ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	usage, err := c.AllocStats(ctx, a.ID)
	if err != nil {
		return nil, "Resource use unavailable: " + err.Error()
	}
	return usage, ""
}

func (m *meta) formatAllocStatus(a *structs.Allocation, usage *api.AllocResourceUsage, note string, verbose bool) string {
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
	if note != "" {
		b.WriteString("\n" + note + "\n")
	}
	b.WriteString(formatTasks(a, usage))
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

func formatTasks(a *structs.Allocation, usage *api.AllocResourceUsage) string {
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
		var tu *api.TaskResourceUsage
		if usage != nil && st.State == structs.TaskStateRunning {
			tu = usage.Tasks[name]
		}
		b.WriteString(formatTaskResources(a.AllocatedResources, name, tu))
		b.WriteString("\nRecent Events:\n")
		b.WriteString(formatEvents(st.Events))
	}
	return b.String()
}

// formatTaskResources is the "Task Resources" table: the task's reserved
// CPU and memory, preceded by what it uses now when u is set (as Nomad's
// "12/100 MHz  5.2 MiB/256 MiB").
func formatTaskResources(res *structs.AllocatedResources, task string, u *api.TaskResourceUsage) string {
	if res == nil || res.Tasks[task] == nil {
		return ""
	}
	t := res.Tasks[task]
	cpu, mem := fmt.Sprintf("%d MHz", t.Cpu.CpuShares), formatMB(t.Memory.MemoryMB)
	if u != nil && u.ResourceUsage != nil {
		cpu = cpuUsed(u.ResourceUsage.CpuStats) + "/" + cpu
		mem = memoryUsed(u.ResourceUsage.MemoryStats) + "/" + mem
	}
	if t.Memory.MemoryMaxMB > t.Memory.MemoryMB {
		mem += " (max " + formatMB(t.Memory.MemoryMaxMB) + ")"
	}
	return "Task Resources:\n" + formatList([][]string{{"CPU", "Memory"}, {cpu, mem}})
}

// cpuUsed is the CPU in use: MHz of the node's cores, or the share of one
// core when the node did not say how fast its cores are.
func cpuUsed(c *api.CpuStats) string {
	switch {
	case c == nil:
		return "?"
	case c.TotalTicks == 0 && c.Percent > 0:
		return fmt.Sprintf("%.1f%% of a core", c.Percent)
	}
	return strconv.FormatFloat(math.Floor(c.TotalTicks), 'f', 0, 64)
}

// memoryUsed is the memory in use: the resident set when measured, else
// the cgroup's whole charge.
func memoryUsed(m *api.MemoryStats) string {
	switch {
	case m == nil:
		return "?"
	case m.RSS > 0 || slices.Contains(m.Measured, "RSS") && !slices.Contains(m.Measured, "Usage"):
		return formatBytes(m.RSS)
	}
	return formatBytes(m.Usage)
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

// formatBytes prints a byte count in binary units with one decimal (5.2
// MiB), as Nomad does.
func formatBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
