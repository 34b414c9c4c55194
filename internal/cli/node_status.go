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

func (m *meta) nodeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "node",
		Short:   "Inspect client nodes",
		Long:    `Inspect client nodes: the machines that run allocations.`,
		Example: `  wharf node status`,
	}
	cmd.AddCommand(m.nodeStatusCommand(), m.nodeDrainCommand(), m.nodeEligibilityCommand())
	return cmd
}

func (m *meta) nodeStatusCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "status [flags] [NODE]",
		Short: "List client nodes, or show one node's drivers, resources and allocations",
		Long: `Without an argument, list the client nodes. With a node ID (or unique
prefix), show the node, the health of each of its task drivers, the
resources its allocations hold out of what it offers, and its allocations.`,
		Example: `  wharf node status
  wharf node status 171a583b
  wharf node status -json 171a583b`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if len(args) == 0 {
				return m.nodeList(c, o)
			}
			return m.nodeStatus(c, args[0], o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) nodeList(c *api.Client, o outputOptions) error {
	nodes, _, err := c.Nodes().List(nil)
	if err != nil {
		return failed(fmt.Errorf("listing nodes: %w", err))
	}
	if o.json {
		return printJSON(m.out, nodes)
	}
	if len(nodes) == 0 {
		fmt.Fprintln(m.out, "No nodes registered")
		return nil
	}
	rows := [][]string{{"ID", "DC", "Name", "Class", "Drain", "Eligibility", "Status"}}
	if o.verbose {
		rows[0] = append(rows[0], "Address")
	}
	for _, n := range nodes {
		row := []string{shortID(n.ID, o.verbose), n.Datacenter, n.Name, n.NodeClass,
			strconv.FormatBool(n.Drain), n.SchedulingEligibility, n.Status}
		if o.verbose {
			row = append(row, n.Address)
		}
		rows = append(rows, row)
	}
	fmt.Fprint(m.out, formatList(rows))
	return nil
}

// nodeStatusView is everything `node status NODE` shows.
type nodeStatusView struct {
	Node        *structs.Node
	Allocations []*structs.Allocation
}

func (m *meta) nodeStatus(c *api.Client, arg string, o outputOptions) error {
	node, _, err := c.Nodes().Resolve(arg, nil)
	if err != nil {
		return failed(lookupError("node", arg, err))
	}
	allocs, _, err := c.Nodes().Allocations(node.ID, nil)
	if err != nil {
		return failed(fmt.Errorf("reading allocations of node %q: %w", node.ID, err))
	}
	if o.json {
		return printJSON(m.out, nodeStatusView{Node: node, Allocations: allocs})
	}
	fmt.Fprint(m.out, m.formatNodeStatus(node, allocs, o.verbose))
	return nil
}

func (m *meta) formatNodeStatus(n *structs.Node, allocs []*structs.Allocation, verbose bool) string {
	var b strings.Builder
	rows := []kv{
		{"ID", shortID(n.ID, verbose)}, {"Name", n.Name}, {"Class", n.NodeClass},
		{"DC", n.Datacenter}, {"Drain", strconv.FormatBool(n.Drain)},
	}
	rows = append(rows, drainRows(n, m.now())...)
	b.WriteString(formatKV(append(rows, []kv{
		{"Eligibility", n.SchedulingEligibility}, {"Status", n.Status},
		{"Status Description", n.StatusDescription}, {"Address", n.Address()},
		{"HTTP Address", n.HTTPAddr}, {"Drivers", strings.Join(healthyDrivers(n), ",")},
	}...)))
	b.WriteString("\nDrivers\n")
	b.WriteString(formatDrivers(n.Drivers))
	if len(n.Events) > 0 {
		b.WriteString("\nNode Events\n")
		b.WriteString(formatNodeEvents(n.Events))
	}
	b.WriteString("\nAllocated Resources\n")
	b.WriteString(formatNodeResources(n, allocs))
	b.WriteString("\nAllocations\n")
	b.WriteString(m.formatNodeAllocs(allocs, verbose))
	return b.String()
}

// healthyDrivers lists the drivers that are detected and healthy.
func healthyDrivers(n *structs.Node) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(n.Drivers)) {
		if d := n.Drivers[name]; d != nil && d.Detected && d.Healthy {
			out = append(out, name)
		}
	}
	return out
}

func formatDrivers(drivers map[string]*structs.DriverInfo) string {
	if len(drivers) == 0 {
		return "No drivers fingerprinted\n"
	}
	rows := [][]string{{"Driver", "Detected", "Healthy", "Message"}}
	for _, name := range slices.Sorted(maps.Keys(drivers)) {
		d := drivers[name]
		if d == nil {
			continue
		}
		rows = append(rows, []string{name, strconv.FormatBool(d.Detected), strconv.FormatBool(d.Healthy), d.HealthDescription})
	}
	return formatList(rows)
}

// formatNodeEvents lists node events newest first.
func formatNodeEvents(events []*structs.NodeEvent) string {
	rows := [][]string{{"Time", "Subsystem", "Message"}}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		rows = append(rows, []string{formatTime(e.Timestamp), e.Subsystem, e.Message})
	}
	return formatList(rows)
}

// formatNodeResources prints what the node's live allocations hold out of
// what the node offers (less what it reserves).
func formatNodeResources(n *structs.Node, allocs []*structs.Allocation) string {
	var cpu, mem, disk int64
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		c, m := a.AllocatedResources.Comparable()
		cpu, mem = cpu+c, mem+m
		if a.AllocatedResources != nil {
			disk += a.AllocatedResources.Shared.DiskMB
		}
	}
	totalCPU, totalMem, totalDisk := nodeCapacity(n)
	return formatList([][]string{
		{"CPU", "Memory", "Disk"},
		{fmt.Sprintf("%d/%d MHz", cpu, totalCPU), formatMB(mem) + "/" + formatMB(totalMem), formatMB(disk) + "/" + formatMB(totalDisk)},
	})
}

// nodeCapacity is what the node offers to allocations.
func nodeCapacity(n *structs.Node) (cpu, memMB, diskMB int64) {
	if n.NodeResources == nil {
		return 0, 0, 0
	}
	cpu, memMB, diskMB = n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB, n.NodeResources.Disk.DiskMB
	if r := n.ReservedResources; r != nil {
		cpu -= int64(r.Cpu.CpuShares)
		memMB -= int64(r.Memory.MemoryMB)
		diskMB -= int64(r.Disk.DiskMB)
	}
	return max(cpu, 0), max(memMB, 0), max(diskMB, 0)
}

// formatNodeAllocs lists a node's allocations newest first.
func (m *meta) formatNodeAllocs(allocs []*structs.Allocation, verbose bool) string {
	if len(allocs) == 0 {
		return "No allocations placed\n"
	}
	sorted := slices.Clone(allocs)
	slices.SortStableFunc(sorted, func(a, b *structs.Allocation) int {
		return cmp.Or(cmp.Compare(b.CreateIndex, a.CreateIndex), cmp.Compare(a.Name, b.Name))
	})
	now := m.now()
	rows := [][]string{{"ID", "Job ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}}
	for _, a := range sorted {
		rows = append(rows, []string{shortID(a.ID, verbose), a.JobID, a.TaskGroup,
			strconv.FormatUint(a.JobVersion, 10), a.DesiredStatus, a.ClientStatus,
			formatAge(a.CreateTime, now, verbose), formatAge(a.ModifyTime, now, verbose)})
	}
	return formatList(rows)
}
